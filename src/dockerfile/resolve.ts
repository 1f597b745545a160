// Substitutes the global ARGs into each FROM and decides what every FROM, COPY --from and RUN --mount=from=
// names: an earlier stage, scratch, or an image (normalised). Mirrors BuildKit's dockerfile2llb: FROM sees
// only earlier stages and matches their names exactly (stage names are lower-cased, so `FROM Build` is an
// image), --from and from= see every stage and ignore case, a number in --from is a stage index.
import { parsePlatform } from '../platforms.js';
import { DOCKER_HUB, InvalidReferenceError, formatReference, parseImageReference, withDefaultTag } from '../registry/reference.js';
import { DockerfileError, quote } from './errors.js';
import { type MatchBudget, literalPattern, matchesWhole } from './glob.js';
import type { MetaArgs } from './meta-args.js';
import type { SourceText, StageText } from './stages.js';
import { ExpansionError, type WordEnv, expandWord, hasSymbol, showSymbols, symbolParts } from './word.js';

export type StageBase =
  | { kind: 'image'; image: string }
  | { kind: 'scratch' }
  /** Earlier stages; more than one when the name depends on a platform variable that was not given. */
  | { kind: 'stages'; indices: number[] }
  /** An image whose name depends on a platform variable that was not given. */
  | { kind: 'platform-image' };

export type SourceTarget = { kind: 'image'; image: string } | { kind: 'scratch' } | { kind: 'stage'; index: number };

export interface ResolvedSource {
  via: SourceText['via'];
  line: number;
  target: SourceTarget;
}

export interface ResolvedStage {
  index: number;
  name?: string;
  line: number;
  base: StageBase;
  /** What FROM names after substitution: a normalised image, `scratch`, a stage name, or text with `$VAR` left in. */
  from: string;
  platform?: string;
  sources: ResolvedSource[];
  onbuild: ResolvedSource[];
}

export interface ResolveContext {
  env: MetaArgs;
  escape: string;
  defaultRegistry?: string;
  budget: MatchBudget;
  warnings: string[];
}

const NO_VARIABLES: WordEnv = { lookup: () => 'unset' };

export function resolveStages(stages: readonly StageText[], ctx: ResolveContext): ResolvedStage[] {
  const lastByName = new Map<string, number>();
  for (const s of stages) if (s.name !== undefined) lastByName.set(s.name, s.index);
  const earlierByName = new Map<string, number>();
  const resolved: ResolvedStage[] = [];
  for (const s of stages) {
    const { base, from } = resolveBase(s, earlierByName, ctx);
    const stage: ResolvedStage = {
      index: s.index,
      line: s.line,
      base,
      from,
      sources: s.sources.map((src) => resolveSource(src, stages.length, lastByName, ctx)),
      onbuild: s.onbuild.map((src) => resolveSource(src, stages.length, lastByName, ctx)),
    };
    if (s.name !== undefined) {
      stage.name = s.name;
      if (earlierByName.has(s.name)) ctx.warnings.push(`line ${s.line}: stage name ${quote(s.name)} is used more than once; later references mean the last one`);
      earlierByName.set(s.name, s.index);
    }
    if (s.platform !== undefined) stage.platform = resolvePlatform(s.platform, s.line, ctx);
    resolved.push(stage);
  }
  return resolved;
}

function expandFrom(word: string, what: string, line: number, ctx: ResolveContext): string {
  let expansion;
  try {
    expansion = expandWord(word, ctx.escape, ctx.env, ctx.budget);
  } catch (err) {
    if (err instanceof ExpansionError) throw new DockerfileError(`${what} ${quote(word)}: ${err.message}`, line);
    throw err;
  }
  if (expansion.unresolved.size > 0) throw new DockerfileError(`${what} ${quote(word)}: ${ctx.env.explain(expansion.unresolved)}`, line);
  return expansion.value;
}

function resolveBase(s: StageText, earlierByName: ReadonlyMap<string, number>, ctx: ResolveContext): { base: StageBase; from: string } {
  const value = expandFrom(s.base, 'FROM', s.line, ctx);
  if (value === '') throw new DockerfileError(`FROM ${quote(s.base)}: the base name is blank`, s.line);
  if (hasSymbol(value)) {
    const written = showSymbols(value);
    const pattern = literalPattern(symbolParts(value));
    const candidates = [...earlierByName].filter(([name]) => matchesWhole(pattern, name, ctx.budget));
    if (candidates.length === 0) return { base: { kind: 'platform-image' }, from: written };
    const names = candidates.map(([n]) => n);
    const listed = names.length > 10 ? `${names.slice(0, 10).join(', ')}, … ${names.length - 10} more` : names.join(', ');
    ctx.warnings.push(
      `line ${s.line}: FROM ${quote(written)} depends on the platform; following every stage it can name ` +
        `(${listed}); pass the platform build args to follow one`,
    );
    return { base: { kind: 'stages', indices: candidates.map(([, i]) => i).sort((a, b) => a - b) }, from: written };
  }
  const stage = earlierByName.get(value);
  if (stage !== undefined) return { base: { kind: 'stages', indices: [stage] }, from: value };
  if (value === 'scratch') return { base: { kind: 'scratch' }, from: 'scratch' };
  const image = normaliseImage(value, 'FROM', s.line, ctx);
  return { base: { kind: 'image', image }, from: image };
}

function resolvePlatform(word: string, line: number, ctx: ResolveContext): string {
  const value = expandFrom(word, 'FROM --platform=', line, ctx);
  if (value === '') throw new DockerfileError(`empty platform value from expression ${quote(word)}`, line);
  if (hasSymbol(value)) return showSymbols(value);
  try {
    parsePlatform(value);
  } catch {
    throw new DockerfileError(`FROM --platform=${quote(value)} is not a platform (expected os/arch[/variant])`, line);
  }
  return value;
}

function resolveSource(src: SourceText, stageCount: number, lastByName: ReadonlyMap<string, number>, ctx: ResolveContext): ResolvedSource {
  const what = src.via === 'copy-from' ? 'COPY --from=' : 'RUN --mount=from=';
  const target = (t: SourceTarget): ResolvedSource => ({ via: src.via, line: src.line, target: t });
  if (src.via === 'copy-from') {
    let unchanged = false;
    try {
      unchanged = expandWord(src.ref, ctx.escape, NO_VARIABLES, ctx.budget).value === src.ref;
    } catch (err) {
      if (!(err instanceof ExpansionError)) throw err;
    }
    if (!unchanged) {
      throw new DockerfileError(`${what}${quote(src.ref)}: variable expansion is not supported for --from; define a stage with FROM using a global ARG instead`, src.line);
    }
    // strconv.Atoi: a (signed) decimal number is a stage index.
    if (/^[+-]?\d{1,18}$/.test(src.ref)) {
      const index = Number(src.ref);
      if (index < 0 || index >= stageCount) throw new DockerfileError(`${what}${src.ref}: invalid stage index ${index}`, src.line);
      return target({ kind: 'stage', index });
    }
  }
  const stage = lastByName.get(src.ref.toLowerCase());
  if (stage !== undefined) return target({ kind: 'stage', index: stage });
  if (src.ref === 'scratch') return target({ kind: 'scratch' });
  return target({ kind: 'image', image: normaliseImage(src.ref, what.replace(/=$/, ''), src.line, ctx) });
}

function normaliseImage(ref: string, what: string, line: number, ctx: ResolveContext): string {
  try {
    const opts = ctx.defaultRegistry !== undefined ? { defaultRegistry: ctx.defaultRegistry } : {};
    const parsed = withDefaultTag(parseImageReference(ref, opts));
    // BuildKit pulls from the host as written (distribution's reference keeps a domain's case); only Docker
    // Hub's names are normalised.
    const slash = ref.indexOf('/');
    const host = slash === -1 ? '' : ref.slice(0, slash);
    if (host !== parsed.registry && host.toLowerCase() === parsed.registry && parsed.registry !== DOCKER_HUB) parsed.registry = host;
    return formatReference(parsed);
  } catch (err) {
    if (err instanceof InvalidReferenceError) throw new DockerfileError(`${what}: ${err.message}`, line);
    throw err;
  }
}
