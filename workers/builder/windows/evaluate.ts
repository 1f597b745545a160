// Walks a Windows Dockerfile plan over the base image's config: substitutes variables, applies each metadata
// instruction to the container config, and lists the layers to write. Pure — the context and the registry are
// touched later. Semantics follow Docker's classic builder on Windows (the builder Windows images come from):
// shell-form CMD/ENTRYPOINT become one pre-escaped command line, WorkingDir is `C:\…`.
import { MatchBudget } from '../../../src/dockerfile/glob.js';
import { WindowsAssemblyError } from '../../../src/dockerfile/windows/errors.js';
import { ExpansionError, expandWord, type Binding } from '../../../src/dockerfile/word.js';
import { BuildVariables, foldName, platformArgs, type Expand } from './build-variables.js';
import { ConfigValueError, checkStopSignal, exposedPortKeys } from './config-values.js';
import { isRemoteSource, type PlanStep, type WindowsDockerfilePlan } from '../../../src/dockerfile/windows/plan.js';
import type { ContainerConfig, StepHistory } from './image-config.js';
import { escapeSwallowsSeparator } from './escape-warning.js';
import { WindowsPathError, formatWindowsPath, namesDirectory, resolveWindowsPath, type WindowsPath } from './windows-paths.js';

/** Pattern-matching work (`${x#pattern}` and the like) allowed in one Dockerfile: a hostile pattern must not stall the worker. */
const MATCH_BUDGET = 5_000_000;

export const DEFAULT_WINDOWS_SHELL: readonly string[] = ['cmd', '/S', '/C'];

export type LayerPlan =
  | { kind: 'copy'; line: number; keyword: 'COPY' | 'ADD'; sources: string[]; dest: WindowsPath; destIsDirectory: boolean; unpack: boolean }
  /** The working directory, made only when no other layer of this build (nor the base's WorkingDir) has it. */
  | { kind: 'workdir'; line: number; dir: WindowsPath };

export interface EvaluatedDockerfile {
  config: ContainerConfig;
  author?: string;
  history: StepHistory[];
  layers: LayerPlan[];
  /** The base's working directory, which exists already. */
  baseWorkdir: WindowsPath;
  /** Build args no ARG declared (Docker warns they "were not consumed"). */
  unusedBuildArgs: string[];
  warnings: string[];
}

export interface EvaluateOptions {
  buildArgs: Readonly<Record<string, string>>;
  /** Where the assembler runs, for BUILDPLATFORM and friends. */
  buildPlatform?: { os: string; architecture: string };
}

/** The FROM image with the global ARGs substituted, e.g. `mcr.microsoft.com/windows/nanoserver:ltsc2022`. */
export function resolveFromImage(plan: WindowsDockerfilePlan, opts: EvaluateOptions): { image: string; platform: string | undefined } {
  const budget = new MatchBudget(MATCH_BUDGET);
  const variables = globalVariables(plan, opts, budget);
  const expand = expander(plan.escape, plan.from.line, budget);
  const image = expand(plan.from.image, variables.globalLookup);
  if (image === '') throw new WindowsAssemblyError(`FROM ${plan.from.image} names no image once its variables are substituted`, plan.from.line);
  if (image.toLowerCase() === 'scratch') throw new WindowsAssemblyError('FROM scratch: a Windows image needs a Windows base image', plan.from.line);
  const platform = plan.from.platform === undefined ? undefined : expand(plan.from.platform, variables.globalLookup);
  if (platform !== undefined && !/^windows\/amd64(\/|$)/i.test(platform)) {
    throw new WindowsAssemblyError(`FROM --platform=${platform}: the daemonless assembler only builds windows/amd64`, plan.from.line);
  }
  return { image, platform };
}

/** Applies the steps after FROM to a copy of the base's container config. */
export function evaluateDockerfile(plan: WindowsDockerfilePlan, baseConfig: ContainerConfig | null | undefined, opts: EvaluateOptions): EvaluatedDockerfile {
  const budget = new MatchBudget(MATCH_BUDGET);
  const variables = globalVariables(plan, opts, budget);
  const config: ContainerConfig = structuredClone(baseConfig ?? {});
  for (const entry of config.Env ?? []) {
    const eq = entry.indexOf('=');
    variables.setEnv(eq === -1 ? entry : entry.slice(0, eq), eq === -1 ? '' : entry.slice(eq + 1));
  }
  const baseWorkdir = config.WorkingDir ? resolveWindowsPath([], config.WorkingDir) : [];
  const state = { workdir: baseWorkdir, cmdSet: false };
  const out: EvaluatedDockerfile = { config, history: [], layers: [], baseWorkdir, unusedBuildArgs: [], warnings: [] };

  for (const step of plan.steps) {
    const expand = expander(plan.escape, step.line, budget);
    const word = (raw: string) => expand(raw, variables.lookup);
    const record = (createdBy: string, layer?: LayerPlan) => {
      if (layer) out.layers.push(layer);
      out.history.push(layer ? { createdBy, layer: out.layers.length - 1 } : { createdBy });
    };
    const warnIfEscapeAte = (raw: string) => {
      if (plan.escape === '\\' && escapeSwallowsSeparator(raw, plan.escape)) {
        out.warnings.push(`line ${step.line}: \\ is this Dockerfile's escape character, so ${JSON.stringify(raw)} reads as ${JSON.stringify(word(raw))}; use / in paths or start the Dockerfile with # escape=\``);
      }
    };
    try {
      switch (step.kind) {
        case 'arg': {
          const parts = step.args.map(({ name, value }) => {
            const declared = variables.declareArg(name, value, expand);
            // Only a default written in the Dockerfile goes into history; a build arg's value may be a token.
            return declared.origin === 'default' ? `${name}=${declared.value}` : name;
          });
          record(`ARG ${parts.join(' ')}`);
          break;
        }
        case 'env': {
          const pairs = step.pairs.map((p) => ({ key: word(p.key), value: word(p.value) }));
          for (const { key, value } of pairs) {
            config.Env = setEnv(config.Env ?? [], key, value);
            variables.setEnv(key, value);
          }
          record(`ENV ${pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
          break;
        }
        case 'label': {
          const pairs = step.pairs.map((p) => ({ key: word(p.key), value: word(p.value) }));
          config.Labels = { ...config.Labels, ...Object.fromEntries(pairs.map((p) => [p.key, p.value])) };
          record(`LABEL ${pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
          break;
        }
        case 'copy': {
          [...step.sources, step.dest].forEach(warnIfEscapeAte);
          const sources = step.sources.map(word);
          const destWord = word(step.dest);
          const remote = sources.find(isRemoteSource);
          if (step.keyword === 'ADD' && remote) throw new WindowsAssemblyError(`ADD ${remote}: remote sources are not fetched by the daemonless assembler`, step.line);
          if (destWord === '') throw new WindowsAssemblyError(`${step.keyword} has an empty destination`, step.line);
          const dest = resolveWindowsPath(state.workdir, destWord);
          const destIsDirectory = namesDirectory(destWord) || dest.length === 0;
          const layer: LayerPlan = { kind: 'copy', line: step.line, keyword: step.keyword, sources, dest, destIsDirectory, unpack: step.unpack };
          record(`${step.keyword} ${[...sources, destWord].join(' ')}`, layer);
          break;
        }
        case 'workdir': {
          warnIfEscapeAte(step.value);
          state.workdir = resolveWindowsPath(state.workdir, word(step.value));
          config.WorkingDir = formatWindowsPath(state.workdir);
          record(`WORKDIR ${config.WorkingDir}`, state.workdir.length > 0 ? { kind: 'workdir', line: step.line, dir: state.workdir } : undefined);
          break;
        }
        case 'user':
          config.User = word(step.value);
          record(`USER ${config.User}`);
          break;
        case 'expose': {
          const keys = step.values.map(word).flatMap(exposedPortKeys);
          config.ExposedPorts = { ...config.ExposedPorts, ...Object.fromEntries(keys.map((k) => [k, {}])) };
          record(`EXPOSE ${keys.join(' ')}`);
          break;
        }
        case 'volume': {
          step.values.forEach(warnIfEscapeAte);
          const paths = step.values.map(word);
          if (paths.some((p) => p.trim() === '')) throw new WindowsAssemblyError('VOLUME specified can not be an empty string', step.line);
          config.Volumes = { ...config.Volumes, ...Object.fromEntries(paths.map((p) => [p, {}])) };
          record(`VOLUME ${JSON.stringify(paths)}`);
          break;
        }
        case 'stopsignal':
          config.StopSignal = word(step.value);
          checkStopSignal(config.StopSignal);
          record(`STOPSIGNAL ${config.StopSignal}`);
          break;
        case 'maintainer':
          out.author = step.value;
          record(`MAINTAINER ${step.value}`);
          break;
        case 'shell':
          config.Shell = [...step.argv];
          record(`SHELL ${JSON.stringify(step.argv)}`);
          break;
        case 'cmd':
        case 'entrypoint': {
          const { argv, argsEscaped } = commandLine(step, config.Shell);
          config.ArgsEscaped = argsEscaped;
          if (step.kind === 'cmd') {
            config.Cmd = argv;
            state.cmdSet = true;
          } else {
            config.Entrypoint = argv;
            // An ENTRYPOINT resets the base's CMD unless this Dockerfile set one before it.
            if (!state.cmdSet) delete config.Cmd;
          }
          record(`${step.kind.toUpperCase()} ${JSON.stringify(argv)}`);
          break;
        }
      }
    } catch (err) {
      throw atLine(err, step.line);
    }
  }
  out.unusedBuildArgs = variables.unusedBuildArgs();
  return out;
}

/**
 * The classic builder on Windows (moby builder/dockerfile/dispatchers_windows.go resolveCmdLine): the shell form
 * becomes ONE element — the shell joined with spaces, then the instruction's text untouched — marked ArgsEscaped
 * so the runtime passes it to CreateProcess as is; the exec (JSON) form stays an argv.
 */
export function commandLine(step: Extract<PlanStep, { kind: 'cmd' | 'entrypoint' }>, shell: readonly string[] | null | undefined): { argv: string[]; argsEscaped: boolean } {
  if (step.exec) return { argv: step.exec, argsEscaped: false };
  const prefix = (shell && shell.length > 0 ? shell : DEFAULT_WINDOWS_SHELL).join(' ');
  return { argv: [`${prefix} ${step.shell.trimStart()}`], argsEscaped: true };
}

/** Sets KEY=value, replacing an entry whose name matches case-insensitively (Windows names) in place. */
export function setEnv(env: readonly string[], key: string, value: string): string[] {
  const out = [...env];
  const index = out.findIndex((entry) => foldName(entry.split('=', 1)[0]!) === foldName(key));
  if (index === -1) out.push(`${key}=${value}`);
  else out[index] = `${key}=${value}`;
  return out;
}

function globalVariables(plan: WindowsDockerfilePlan, opts: EvaluateOptions, budget: MatchBudget): BuildVariables {
  const variables = new BuildVariables(opts.buildArgs, platformArgs(opts.buildPlatform ?? { os: 'linux', architecture: 'amd64' }));
  for (const step of plan.globalArgs) {
    for (const arg of step.args) variables.declareGlobal(arg.name, arg.value, expander(plan.escape, step.line, budget));
  }
  return variables;
}

function expander(escape: string, line: number, budget: MatchBudget): Expand {
  return (raw, lookup) => {
    // Docker substitutes '' for a variable without a value, so the lexer's list of them is not needed here.
    const env = {
      lookup: (name: string): Binding => {
        const value = lookup(name);
        return value === undefined ? 'unset' : { value };
      },
    };
    try {
      return expandWord(raw, escape, env, budget).value;
    } catch (err) {
      throw atLine(err, line);
    }
  };
}

function atLine(err: unknown, line: number): unknown {
  if (err instanceof ExpansionError || err instanceof WindowsPathError || err instanceof ConfigValueError) return new WindowsAssemblyError(err.message, line);
  return err;
}
