// Rewrites the images a Dockerfile's FROM lines and COPY --from flags name, for one build: a worker points a
// base its own run built at that image's local name without touching the user's file. Only the image words
// change: comments, continuations, heredocs and line numbers stay as written, so what the build reports
// still points at the user's lines. Pure: no I/O. Names are read as extractBases reads them (ARGs and build
// args substituted, the target stage and the stages it needs only; a FROM naming an earlier stage is a stage).
import { type ExtractBasesOptions, resolveDockerfile } from './bases.js';
import { DockerfileError, quote } from './errors.js';
import { reachableStages, sourcesOf } from './graph.js';
import { instructionTexts } from './instructions.js';
import type { ResolvedSource } from './resolve.js';

/** An image word the rewrite must replace but cannot find alone on a line: the build cannot go ahead as asked. */
export class UnreplaceableWordError extends DockerfileError {
  override name = 'UnreplaceableWordError';
}

export interface ImageUse {
  /** The normalised image, as extractBases names it. */
  image: string;
  via: 'from' | 'copy-from' | 'mount-from';
  /** 1-based line of the FROM, or of the --from / --mount flag. */
  line: number;
  /** From an ONBUILD trigger of the stage this one is built on. */
  onbuild?: boolean;
  /** A FROM's --platform, substituted (`$VAR` left in when not given). */
  platform?: string;
}

export interface RewrittenDockerfile {
  /** The Dockerfile with the images replaced; the input unchanged when nothing was. */
  text: string;
  /** What was replaced, and by what. */
  replaced: (ImageUse & { replacement: string })[];
  /** Images the build still pulls by the name it gives them: every image of the stages built that was not replaced. */
  pulled: ImageUse[];
  /** Images with a replacement that cannot be written in (RUN --mount=from=, ONBUILD): the caller decides. */
  unreplaceable: ImageUse[];
}

/**
 * Replaces each image of the stages a build with `opts` builds by `replacementFor(image)`, where that gives
 * one. Throws DockerfileError for a file BuildKit would refuse, UnreplaceableWordError for an image word it
 * cannot find alone on a line (one split over a continuation).
 */
export function rewriteImages(dockerfile: string, opts: ExtractBasesOptions, replacementFor: (image: string) => string | undefined): RewrittenDockerfile {
  const { prepared, stages, written, target } = resolveDockerfile(dockerfile, opts);
  const raw = [...prepared.raw];
  const endLines = new Map<number, number>();
  for (const ins of instructionTexts(prepared)) if (ins.keyword === 'FROM') endLines.set(ins.line, ins.endLine);
  const out: RewrittenDockerfile = { text: dockerfile, replaced: [], pulled: [], unreplaceable: [] };

  for (const i of [...reachableStages(target, stages)].sort((a, b) => a - b)) {
    const stage = stages[i]!;
    if (stage.base.kind === 'image') {
      const use: ImageUse = { image: stage.base.image, via: 'from', line: stage.line, ...(stage.platform !== undefined ? { platform: stage.platform } : {}) };
      const replacement = replacementFor(use.image);
      if (replacement === undefined) out.pulled.push(use);
      else {
        replaceFromWord(raw, prepared.lines, stage.line - 1, endLines.get(stage.line) ?? stage.line - 1, written[i]!.base, replacement);
        out.replaced.push({ ...use, replacement });
      }
    }
    const direct = new Set<ResolvedSource>(stage.sources);
    stage.sources.forEach((src, s) => {
      if (src.target.kind !== 'image') return;
      const use: ImageUse = { image: src.target.image, via: src.via, line: src.line };
      const replacement = replacementFor(use.image);
      if (replacement === undefined) out.pulled.push(use);
      else if (src.via !== 'copy-from') out.unreplaceable.push(use);
      else {
        replaceCopyFrom(raw, src.line - 1, written[i]!.sources[s]!.ref, replacement);
        out.replaced.push({ ...use, replacement });
      }
    });
    for (const src of sourcesOf(stage, stages)) {
      if (direct.has(src) || src.target.kind !== 'image') continue;
      const use: ImageUse = { image: src.target.image, via: src.via, line: src.line, onbuild: true };
      (replacementFor(use.image) === undefined ? out.pulled : out.unreplaceable).push(use);
    }
  }
  if (out.replaced.length > 0) out.text = raw.join('\n') + (dockerfile.endsWith('\n') ? '\n' : '');
  return out;
}

/**
 * The image word of the FROM on 0-based lines start..end: the first word after the keyword that is the one
 * written (flags start with `--`, so none is it). `lines` are the parser's view (comments blank), with the
 * same columns as `raw`.
 */
function replaceFromWord(raw: string[], lines: readonly string[], start: number, end: number, word: string, replacement: string): void {
  for (let l = start; l <= end; l++) {
    const line = lines[l]!;
    let from = 0;
    if (l === start) from = line.search(/\S/) + 'FROM'.length;
    for (let at = line.indexOf(word, from); at !== -1; at = line.indexOf(word, at + 1)) {
      const before = at === 0 ? ' ' : line[at - 1]!;
      const after = line.slice(at + word.length);
      // The word ends at whitespace, the line's end, or the escape that continues the line.
      if (/\s/.test(before) && (after === '' || /^\s/.test(after) || /^[\\`]\s*$/.test(after))) {
        raw[l] = raw[l]!.slice(0, at) + replacement + raw[l]!.slice(at + word.length);
        return;
      }
    }
  }
  throw new UnreplaceableWordError(`FROM ${quote(word)}: the image name must be written on one line to be replaced`, start + 1);
}

/** The value of the --from flag on 0-based line `l`, as written (quoted or not). */
function replaceCopyFrom(raw: string[], l: number, ref: string, replacement: string): void {
  const escaped = ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const flag = new RegExp(`--from=(["']?)${escaped}\\1(?=\\s|$|[\\\\\`])`);
  const match = flag.exec(raw[l]!);
  if (!match) throw new UnreplaceableWordError(`COPY --from=${quote(ref)}: the flag must be written on one line to be replaced`, l + 1);
  raw[l] = raw[l]!.slice(0, match.index) + `--from=${replacement}` + raw[l]!.slice(match.index + match[0].length);
}
