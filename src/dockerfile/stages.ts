// The build stages of a Dockerfile as written: the global ARGs, and per stage its FROM (image word, --platform,
// AS name) and the other places it pulls from (COPY --from, RUN --mount=from=, and ONBUILD versions of those
// that run in the stages built on it). Nothing is substituted or resolved yet.
import { DockerfileError, quote } from './errors.js';
import { type Flag, FlagError, mountSource, parseFlag, singleValue } from './flags.js';
import { type InstructionText, KEYWORDS, instructionTexts } from './instructions.js';
import { parseWords, splitCommand } from './logical-line.js';
import type { ArgDeclaration } from './meta-args.js';
import type { PreparedDockerfile } from './source.js';

export interface SourceText {
  via: 'copy-from' | 'mount-from';
  /** The --from / from= value, quotes and escapes removed. */
  ref: string;
  line: number;
}

export interface StageText {
  index: number;
  /** Lower-case `AS` name. */
  name?: string;
  line: number;
  /** The image word as written, before substitution. */
  base: string;
  platform?: string;
  sources: SourceText[];
  /** COPY/RUN sources of ONBUILD triggers; they run in stages built FROM this one. */
  onbuild: SourceText[];
}

export interface DockerfileText {
  args: ArgDeclaration[];
  stages: StageText[];
  warnings: string[];
}

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;
const WHITESPACE = /[\t\v\f\r ]+/;

export function readStages(prepared: PreparedDockerfile, standardSyntax: boolean): DockerfileText {
  const out: DockerfileText = { args: [], stages: [], warnings: [] };
  for (const ins of instructionTexts(prepared)) {
    try {
      readInstruction(ins, out, prepared.escape, standardSyntax);
    } catch (err) {
      if (err instanceof FlagError) throw new DockerfileError(err.message, ins.line);
      throw err;
    }
  }
  if (out.stages.length === 0) throw new DockerfileError('no FROM instruction: a Dockerfile must start a build stage with FROM');
  return out;
}

function readInstruction(ins: InstructionText, out: DockerfileText, escape: string, standardSyntax: boolean): void {
  if (!KEYWORDS.has(ins.keyword)) {
    if (standardSyntax) throw new DockerfileError(`unknown instruction: ${quote(ins.keyword)}`, ins.line);
    out.warnings.push(`line ${ins.line}: instruction ${quote(ins.keyword)} is not a Dockerfile instruction; ignored`);
    return;
  }
  const stage = out.stages[out.stages.length - 1];
  if (ins.keyword === 'FROM') {
    out.stages.push(readFrom(ins, out.stages.length));
    return;
  }
  if (ins.keyword === 'ARG') {
    const declarations = readArg(ins, escape);
    if (!stage) out.args.push(...declarations);
    return;
  }
  if (!stage) throw new DockerfileError(`${ins.keyword} before the first FROM (only ARG may come before it)`, ins.line);
  if (ins.keyword === 'ONBUILD') stage.onbuild.push(...readOnbuild(ins, escape));
  else stage.sources.push(...readSources(ins.keyword, ins.flags.map((f) => parseFlag(f.text, f.line + 1))));
}

function readFrom(ins: InstructionText, index: number): StageText {
  const flags = ins.flags.map((f) => parseFlag(f.text, f.line + 1));
  for (const f of flags) if (f.name !== 'platform') throw new DockerfileError(`unknown flag for FROM: ${quote(`--${f.name}`)}`, ins.line);
  const platform = singleValue(flags, 'platform');
  const args = ins.rest === '' ? [] : ins.rest.split(WHITESPACE);
  if (args.length !== 1 && !(args.length === 3 && args[1]!.toLowerCase() === 'as')) {
    throw new DockerfileError('FROM requires either one or three arguments: FROM [--platform=<platform>] <image> [AS <name>]', ins.line);
  }
  const stage: StageText = { index, line: ins.line, base: args[0]!, sources: [], onbuild: [] };
  if (args.length === 3) {
    const name = args[2]!.toLowerCase();
    if (!STAGE_NAME.test(name)) {
      throw new DockerfileError(`invalid name for build stage: ${quote(args[2]!)}, name can't start with a number or contain symbols`, ins.line);
    }
    stage.name = name;
  }
  if (platform) stage.platform = platform.value!;
  return stage;
}

function readArg(ins: InstructionText, escape: string): ArgDeclaration[] {
  if (ins.flags.length > 0) throw new DockerfileError(`unknown flag for ARG: ${quote(`--${ins.flags[0]!.text}`)}`, ins.line);
  const words = parseWords(ins.rest, escape);
  if (words.length === 0) throw new DockerfileError('ARG requires at least one argument', ins.line);
  return words.map((word) => {
    const eq = word.indexOf('=');
    const name = eq === -1 ? word : word.slice(0, eq);
    if (name === '') throw new DockerfileError('ARG names can not be blank', ins.line);
    return eq === -1 ? { name, line: ins.line } : { name, value: word.slice(eq + 1), line: ins.line };
  });
}

function readSources(keyword: string, flags: readonly Flag[]): SourceText[] {
  if (keyword === 'COPY') {
    const from = singleValue(flags, 'from');
    // BuildKit treats an empty --from= as no --from at all.
    return from && from.value !== '' ? [{ via: 'copy-from', ref: from.value!, line: from.line }] : [];
  }
  if (keyword === 'RUN') {
    const sources: SourceText[] = [];
    for (const f of flags) {
      if (f.name !== 'mount') continue;
      if (f.value === undefined) throw new FlagError('missing a value on flag: --mount');
      const ref = mountSource(f.value);
      if (ref !== undefined) sources.push({ via: 'mount-from', ref, line: f.line });
    }
    return sources;
  }
  return [];
}

function readOnbuild(ins: InstructionText, escape: string): SourceText[] {
  if (ins.flags.length > 0) throw new DockerfileError(`unknown flag for ONBUILD: ${quote(`--${ins.flags[0]!.text}`)}`, ins.line);
  const trigger = splitCommand(ins.rest, escape, () => ins.line - 1);
  const keyword = trigger.keyword.toUpperCase();
  if (keyword === 'ONBUILD' || keyword === 'FROM' || keyword === 'MAINTAINER') {
    throw new DockerfileError(`${keyword} isn't allowed as an ONBUILD trigger`, ins.line);
  }
  const flags = trigger.flags.map((f) => parseFlag(f.text, ins.line));
  return readSources(keyword, flags);
}

