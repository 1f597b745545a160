// Reads a Dockerfile into the plan the daemonless Windows assembler follows, or says (with the line) why it
// cannot: RUN and anything else that needs a daemon, a second stage, flags it cannot honour. Pure. dockerfile-ast
// finds the instructions and the escape directive; the argument text is split here as BuildKit's parser does.
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { WindowsAssemblyError } from './errors.js';
import { parseFlag, type Flag } from '../flags.js';
import { extractFlags, parseWords } from '../logical-line.js';
import { ArgumentError, parseJsonForm, splitBlanks, splitPairs, type RawPair } from './instruction-args.js';

interface At {
  /** 1-based line of the instruction's keyword. */
  line: number;
  /** The instruction as one line, for progress: `COPY app/ C:/app`. */
  source: string;
}

export type ArgStep = At & { kind: 'arg'; args: { name: string; value: string | undefined }[] };
export type CopyStep = At & { kind: 'copy'; keyword: 'COPY' | 'ADD'; sources: string[]; dest: string; unpack: boolean };

/** One instruction after FROM; words are still unsubstituted. */
export type PlanStep =
  | ArgStep
  | CopyStep
  | (At & { kind: 'env' | 'label'; pairs: RawPair[] })
  | (At & { kind: 'workdir' | 'user' | 'stopsignal' | 'maintainer'; value: string })
  | (At & { kind: 'expose' | 'volume'; values: string[] })
  | (At & { kind: 'cmd' | 'entrypoint'; exec: string[] | undefined; shell: string })
  | (At & { kind: 'shell'; argv: string[] });

export interface WindowsDockerfilePlan {
  escape: string;
  /** ARGs before FROM: the only variables FROM can use. */
  globalArgs: ArgStep[];
  from: At & { image: string; platform: string | undefined };
  steps: PlanStep[];
}

export type AssemblyCheck = { ok: true } | { ok: false; reason: string; line?: number };

/** Whether the Dockerfile can be assembled without a daemon; when not, the first reason and its line. */
export function canAssembleWithoutDaemon(dockerfile: string): AssemblyCheck {
  try {
    parseWindowsDockerfile(dockerfile);
    return { ok: true };
  } catch (err) {
    if (err instanceof WindowsAssemblyError) return err.line === undefined ? { ok: false, reason: err.message } : { ok: false, reason: err.message, line: err.line };
    throw err;
  }
}

/** The plan, or WindowsAssemblyError naming the first line it cannot handle. */
export function parseWindowsDockerfile(dockerfile: string): WindowsDockerfilePlan {
  const parsed = DockerfileParser.parse(dockerfile);
  const escape = parsed.getEscapeCharacter();
  if (escape !== '\\' && escape !== '`') throw new WindowsAssemblyError(`the escape directive allows only \\ or \`, not ${JSON.stringify(escape)}`);
  const globalArgs: ArgStep[] = [];
  let from: WindowsDockerfilePlan['from'] | undefined;
  const steps: PlanStep[] = [];
  for (const instruction of parsed.getInstructions()) {
    const line = instruction.getRange().start.line + 1;
    const keyword = instruction.getKeyword();
    const text = logicalArguments(instruction, escape);
    const at: At = { line, source: text === '' ? keyword : `${keyword} ${text}` };
    try {
      if (keyword === 'FROM') {
        if (from) throw new WindowsAssemblyError(`a second FROM (line ${from.line} was the first): multi-stage builds need a daemon`, line);
        from = { ...at, ...parseFrom(text, line, escape) };
      } else if (!from) {
        if (keyword !== 'ARG') throw new WindowsAssemblyError(`${keyword} before FROM: only ARG may come before FROM`, line);
        globalArgs.push(parseArg(at, text, escape));
      } else steps.push(parseStep(at, keyword, text, escape));
    } catch (err) {
      if (err instanceof ArgumentError) throw new WindowsAssemblyError(`${keyword}: ${err.message}`, line);
      throw err;
    }
  }
  if (!from) throw new WindowsAssemblyError('the Dockerfile has no FROM');
  return { escape, globalArgs, from, steps };
}

const NEEDS_DAEMON: Record<string, string> = {
  RUN: 'RUN executes a command inside the image, which needs a Windows daemon',
  ONBUILD: 'ONBUILD is not supported by the daemonless assembler',
  HEALTHCHECK: 'HEALTHCHECK is not supported by the daemonless assembler yet',
};

function parseStep(at: At, keyword: string, text: string, escape: string): PlanStep {
  const refusal = NEEDS_DAEMON[keyword];
  if (refusal) throw new WindowsAssemblyError(refusal, at.line);
  switch (keyword) {
    case 'ARG':
      return parseArg(at, text, escape);
    case 'ENV':
    case 'LABEL':
      return { ...at, kind: keyword === 'ENV' ? 'env' : 'label', pairs: splitPairs(text, escape, keyword).pairs };
    case 'COPY':
    case 'ADD':
      return parseCopy(at, keyword, text, escape);
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
      if (text === '') throw new ArgumentError('needs an argument');
      return { ...at, kind: keyword.toLowerCase() as 'workdir' | 'user' | 'stopsignal' | 'maintainer', value: text };
    case 'EXPOSE':
      return { ...at, kind: 'expose', values: splitBlanks(text) };
    case 'VOLUME': {
      const values = parseJsonForm(text) ?? splitBlanks(text);
      if (values.length === 0) throw new ArgumentError('needs at least one path');
      return { ...at, kind: 'volume', values };
    }
    case 'CMD':
    case 'ENTRYPOINT':
      return { ...at, kind: keyword === 'CMD' ? 'cmd' : 'entrypoint', exec: text === '' ? [] : parseJsonForm(text), shell: text };
    case 'SHELL': {
      const argv = parseJsonForm(text);
      if (!argv || argv.length === 0) throw new ArgumentError('must be a JSON array of strings, e.g. SHELL ["powershell", "-Command"]');
      return { ...at, kind: 'shell', argv };
    }
    default:
      throw new WindowsAssemblyError(`unknown instruction ${keyword}`, at.line);
  }
}

/** The instruction's leading `--flags`, read as BuildKit reads them (quotes and escapes included), and the rest. */
export function leadingFlags(text: string, escape: string, line: number): { flags: Flag[]; rest: string } {
  const { flags, rest } = extractFlags(text, escape);
  return { flags: flags.map((f) => parseFlag(f.text, line)), rest };
}

function parseFrom(text: string, line: number, escape: string): { image: string; platform: string | undefined } {
  const { flags, rest } = leadingFlags(text, escape, line);
  let platform: string | undefined;
  for (const flag of flags) {
    if (flag.name !== 'platform' || !flag.value) throw new WindowsAssemblyError(`FROM --${flag.name} is not supported`, line);
    platform = flag.value;
  }
  const words = splitBlanks(rest);
  if (words.length !== 1 && !(words.length === 3 && words[1]!.toUpperCase() === 'AS')) throw new ArgumentError('expects an image, optionally followed by AS <name>');
  return { image: words[0]!, platform };
}

function parseArg(at: At, text: string, escape: string): ArgStep {
  const words = parseWords(text, escape);
  if (words.length === 0) throw new ArgumentError('needs a name');
  const args = words.map((word) => {
    const eq = word.indexOf('=');
    const name = eq === -1 ? word : word.slice(0, eq);
    if (name === '') throw new ArgumentError(`${JSON.stringify(word)} has no name`);
    return { name, value: eq === -1 ? undefined : word.slice(eq + 1) };
  });
  return { ...at, kind: 'arg', args };
}

function parseCopy(at: At, keyword: 'COPY' | 'ADD', text: string, escape: string): CopyStep {
  const { flags, rest } = leadingFlags(text, escape, at.line);
  let unpack = keyword === 'ADD';
  for (const flag of flags) {
    const problem = flagProblem(keyword, flag);
    if (problem) throw new WindowsAssemblyError(`${keyword} --${flag.name}: ${problem}`, at.line);
    if (flag.name === 'unpack') unpack = flag.value === undefined || flag.value === 'true';
  }
  const words = parseJsonForm(rest) ?? splitBlanks(rest);
  if (words.length < 2) throw new ArgumentError('needs at least one source and a destination');
  const sources = words.slice(0, -1);
  for (const source of sources) {
    if (source.startsWith('<<')) throw new WindowsAssemblyError(`${keyword} with a here-document is not supported by the daemonless assembler`, at.line);
    if (keyword === 'ADD' && isRemoteSource(source)) {
      throw new WindowsAssemblyError(`ADD ${source}: remote sources (URLs, git) are not fetched by the daemonless assembler; download them into the context and COPY them`, at.line);
    }
  }
  return { ...at, kind: 'copy', keyword, sources, dest: words.at(-1)!, unpack };
}

function flagProblem(keyword: 'COPY' | 'ADD', flag: Flag): string | undefined {
  switch (flag.name) {
    case 'link':
      return undefined; // every layer is built on its own anyway
    case 'unpack':
      return keyword === 'ADD' && (flag.value === undefined || flag.value === 'true' || flag.value === 'false') ? undefined : 'expects true or false';
    case 'from':
      return 'copying from another image or stage needs a daemon';
    case 'chown':
    case 'chmod':
      return 'Windows layers carry ACLs, not owners and modes; the daemonless assembler cannot translate them';
    default:
      return 'not supported by the daemonless assembler';
  }
}

/** URLs and git remotes, which ADD would fetch; anything that could also be a local path counts as local, as in BuildKit. */
export function isRemoteSource(source: string): boolean {
  return /^(https?|git|ssh):\/\//i.test(source) || /^git@[^:/]+:/.test(source);
}

/**
 * The arguments as one line, the way BuildKit's parser joins a continued instruction: an escape character at
 * the end of a line (blanks after it allowed) joins the next line; comment and blank lines inside are skipped.
 */
function logicalArguments(instruction: Instruction, escape: string): string {
  // The whole text, not getRawArgumentsContent(), which leaves out the --flags of COPY, ADD and FROM.
  const raw = instruction.getTextContent().slice(instruction.getInstruction().length);
  const continuation = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const lines = raw.split(/\r?\n/);
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (i > 0 && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    out += continuation.test(line) ? line.replace(continuation, '') : line;
  }
  return out.trim();
}
