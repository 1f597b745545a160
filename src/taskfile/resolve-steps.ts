// From a schema-valid task file to runnable steps: build lines and cmd lines split into their parts, images
// checked, push targets qualified with the run's registry, env merged, defaults applied (ACR's), and the
// rules no schema can say (one step type per step, volumes and networks that exist, privileges).
import { parseRunFlags, type RunFlags } from './run-flags.js';
import path from 'node:path';
import { formatReference, parseImageReference, withDefaultTag } from '../registry/reference.js';
import { resolveImageAlias, type AliasTable } from './aliases.js';
import { BuildFlagsError, parseBuildLine } from './build-flags.js';
import type { IssueList } from './errors.js';
import type { StepNode } from './graph.js';
import type { ResolvedStep, StepKind } from './model.js';
import { reservedNetworkReason } from './networks.js';
import { DEFAULT_RETRY_DELAY, DEFAULT_STEP_TIMEOUT, DEFAULT_WORKING_DIRECTORY, type TaskFile } from './schema.js';
import { overMaximum, type StepMaximum } from './step-resources.js';
import { splitWords, WordsError } from './words.js';
import type { PathKey, Position } from './yaml-source.js';

export interface StepPolicy {
  registry: string;
  /** The task's name, or ACR's `quickrun` for a run without one: it names the build cache's tag. */
  taskName: string;
  aliases: AliasTable;
  /** SLIPWAY_TASK_ALLOW_PRIVILEGED: privileged containers, the host network, networks not made by the run. */
  allowPrivileged: boolean;
  /** SLIPWAY_STEP_MAX_*: the most a cmd step may ask for; absent, asks are left for the worker to check. */
  stepMaximum?: StepMaximum;
  /** A secret's value by id (a stand-in while only validating); undefined when the file does not declare it. */
  secret?: (id: string) => string | undefined;
}

const CMD_ONLY = ['entryPoint', 'user', 'detach', 'keep', 'privileged', 'network', 'ports', 'expose', 'volumeMounts', 'workingDirectory', 'disableWorkingDirectoryOverride'] as const;
// A build step's working directory is where its context path is read from; its volumes are seen by its
// build as ACR's docker CLI container sees them (a volume mounted inside the context is part of it).
const BUILD_OK = new Set(['workingDirectory', 'disableWorkingDirectoryOverride', 'volumeMounts']);

/** The values of a build step's --secret ids; an id the task neither declares nor is given is an issue. */
function buildSecrets(ids: string[], policy: StepPolicy, issue: (message: string) => void): Record<string, string> {
  const values: Record<string, string> = {};
  for (const id of ids) {
    const value = policy.secret?.(id);
    if (value === undefined) issue(`build: --secret id=${id}: secret ${id} is not declared; add it under secrets (id: ${id}) and give its value with --set-secret ${id}=VALUE`);
    else values[id] = value;
  }
  return values;
}

export function resolveSteps(
  task: TaskFile,
  nodes: StepNode[],
  policy: StepPolicy,
  issues: IssueList,
  warnings: string[],
  locate: (path: PathKey[], opts?: { key?: boolean }) => Position,
): ResolvedStep[] {
  const volumes = new Set((task.volumes ?? []).map((v) => v.name));
  const networks = new Set((task.networks ?? []).map((n) => n.name));
  const workingDirectory = task.workingDirectory ?? DEFAULT_WORKING_DIRECTORY;
  const steps: ResolvedStep[] = [];
  const warn = (p: Position, message: string) => warnings.push(`${p.line}:${p.column}: ${message}`);
  task.steps.forEach((s, index) => {
    const at = (...path: PathKey[]) => locate(['steps', index, ...path]);
    const kinds = (['build', 'push', 'cmd'] as const).filter((k) => s[k] !== undefined);
    if (kinds.length !== 1) {
      issues.add(at(), kinds.length === 0 ? 'a step needs one of build, push or cmd' : `a step has one of build, push or cmd, not ${kinds.join(' and ')}`);
      return;
    }
    const kind: StepKind = kinds[0]!;
    for (const prop of CMD_ONLY) {
      if (s[prop] === undefined || kind === 'cmd' || (kind === 'build' && BUILD_OK.has(prop))) continue;
      if (prop === 'volumeMounts') {
        issues.add(locate(['steps', index, prop], { key: true }), 'invalid use of Mounts. Mounts must have unique container paths and only used for cmd or build steps (a push step mounts nothing)');
        continue;
      }
      // ACR accepts these on any step (its builds run the docker CLI in a container); BuildKit has no use for them.
      const p = locate(['steps', index, prop], { key: true });
      warnings.push(`${p.line}:${p.column}: ${prop} has no effect on a ${kind} step`);
    }
    const node = nodes[index]!;
    const step: ResolvedStep = {
      id: node.id,
      index,
      line: at().line,
      kind,
      after: node.after,
      level: node.level,
      env: mergeEnv(task.env ?? [], s.env ?? []),
      ...(s.entryPoint !== undefined ? { entryPoint: s.entryPoint } : {}),
      ...(s.disableWorkingDirectoryOverride ? {} : { workingDirectory: path.posix.resolve(workingDirectory, s.workingDirectory ?? '.') }),
      ...(s.user !== undefined ? { user: s.user } : {}),
      detach: s.detach ?? false,
      keep: s.keep ?? false,
      privileged: s.privileged ?? false,
      resources: {},
      capAdd: [],
      ...(s.network !== undefined ? { network: s.network } : {}),
      ports: s.ports ?? [],
      expose: s.expose ?? [],
      volumeMounts: s.volumeMounts ?? [],
      pull: s.pull ?? false,
      // 0 is the default, as in ACR.
      timeoutSeconds: s.timeout || task.stepTimeout || DEFAULT_STEP_TIMEOUT,
      startDelaySeconds: s.startDelay ?? 0,
      retries: s.retries ?? 0,
      // ACR waits 5 s between retries when retryDelay is not set (or 0).
      retryDelaySeconds: s.retryDelay || DEFAULT_RETRY_DELAY,
      repeat: s.repeat ?? 0,
      ignoreErrors: s.ignoreErrors ?? false,
    };
    try {
      if (kind === 'build') {
        step.build = parseBuildLine(s.build!);
        for (const tag of step.build.tags) checkImage(tag);
        const cache = cacheSetting(s.cache, kind, (message) => issues.add(at('cache'), message), (message) => warn(at('cache'), message));
        if (cache) {
          step.buildCache = buildCacheImage(step.build.tags, policy, step.id);
          if (step.buildCache === undefined) warn(at('cache'), 'cache: enabled has no effect on a build without -t (the cache is kept beside the first tag), as in ACR');
        }
        if (step.build.secrets.length) step.buildSecrets = buildSecrets(step.build.secrets, policy, (message) => issues.add(at('build'), message));
      } else if (kind === 'push') {
        cacheSetting(s.cache, kind, (message) => issues.add(at('cache'), message), (message) => warn(at('cache'), message));
        step.push = s.push!.map((image, i) => {
          try {
            const ref = parseImageReference(image, { defaultRegistry: policy.registry });
            if (ref.digest !== undefined) throw new Error(`push ${image}: push a tag, not a digest`);
            return formatReference(withDefaultTag(ref));
          } catch (err) {
            issues.add(at('push', i), (err as Error).message);
            return image;
          }
        });
      } else {
        cacheSetting(s.cache, kind, (message) => issues.add(at('cache'), message), (message) => warn(at('cache'), message));
        const words = splitWords(s.cmd!);
        const shell = shellSyntax(words);
        if (shell) {
          const p = at('cmd');
          warnings.push(`${p.line}:${p.column}: cmd has ${JSON.stringify(shell)}, which a shell would read; ACR runs a cmd without a shell and so does Slipway: the image gets it as an argument (write sh -c '…' if a shell is meant)`);
        }
        const { flags, rest } = parseRunFlags(words);
        const [first, ...args] = rest;
        if (!first) throw new WordsError('cmd names no image');
        step.cmd = { image: resolveImageAlias(first, policy.aliases), args };
        checkImage(step.cmd.image);
        applyRunFlags(step, flags);
        if (policy.stepMaximum) for (const message of overMaximum(step.resources, policy.stepMaximum)) issues.add(at('cmd'), `cmd: ${message}`);
      }
    } catch (err) {
      if (!(err instanceof BuildFlagsError || err instanceof WordsError || (err instanceof Error && err.name === 'InvalidReferenceError'))) throw err;
      issues.add(at(kind), `${kind}: ${err.message}`);
    }
    if (kind !== 'cmd') step.privileged = false;
    if (kind !== 'cmd') delete step.network;
    if (step.privileged && !policy.allowPrivileged) issues.add(at('privileged'), 'privileged containers are not allowed on this server (SLIPWAY_TASK_ALLOW_PRIVILEGED)');
    if (step.network !== undefined) {
      const reserved = reservedNetworkReason(step.network);
      // The only exceptions: no network at all, and the host's with the operator's explicit opt-in (which
      // already grants privileged containers, a superset of the host network).
      if (step.network === 'none') {
        /* a step cut off from every network reaches nothing */
      } else if (step.network === 'host' && policy.allowPrivileged) {
        /* allowed by SLIPWAY_TASK_ALLOW_PRIVILEGED */
      } else if (step.network === 'host') issues.add(at('network'), 'the host network is not allowed on this server (SLIPWAY_TASK_ALLOW_PRIVILEGED)');
      else if (reserved) issues.add(at('network'), reserved);
      else if (!networks.has(step.network)) issues.add(at('network'), `network ${step.network} is not declared under networks`);
    }
    const paths = new Set<string>();
    step.volumeMounts.forEach((m, i) => {
      if (!volumes.has(m.name)) issues.add(at('volumeMounts', i, 'name'), `volume ${m.name} is not declared under volumes`);
      if (paths.has(m.mountPath)) issues.add(at('volumeMounts', i, 'mountPath'), `mount with duplicate container file path found: two volumes mounted at ${m.mountPath}`);
      paths.add(m.mountPath);
    });
    steps.push(step);
  });
  (task.networks ?? []).forEach((n, i) => {
    const reserved = reservedNetworkReason(n.name);
    if (reserved) issues.add(locate(['networks', i, 'name']), reserved);
    if (n.skipCreation && !policy.allowPrivileged) issues.add(locate(['networks', i, 'skipCreation']), 'joining a network the run did not create is not allowed on this server (SLIPWAY_TASK_ALLOW_PRIVILEGED)');
  });
  return steps;
}

/**
 * A step's `cache`, as acr-builder validates it: enabled or disabled in any case, else its error. True only
 * for `enabled` on a build step; on the others it has no effect (a warning).
 */
function cacheSetting(value: string | undefined, kind: StepKind, issue: (m: string) => void, warn: (m: string) => void): boolean {
  if (value === undefined) return false;
  const v = value.toLowerCase();
  if (v !== 'enabled' && v !== 'disabled') {
    issue("invalid value for cache property. Valid values are 'enabled', 'disabled'");
    return false;
  }
  if (kind !== 'build' && v === 'enabled') warn(`cache: enabled has no effect on a ${kind} step`);
  return kind === 'build' && v === 'enabled';
}

/**
 * acr-builder's cache image (graph/step.go GetCmdWithCacheFlags): the repository of the first tag that names
 * a registry, else the run's registry with the first tag's repository; tagged cache_<task>_<step>.
 * Undefined for a build without tags.
 */
export function buildCacheImage(tags: readonly string[], policy: Pick<StepPolicy, 'registry' | 'taskName'>, stepId: string): string | undefined {
  if (tags.length === 0) return undefined;
  const named = tags.map((t) => parseImageReference(t, { defaultRegistry: policy.registry }));
  const withRegistry = tags.findIndex((t) => hasRegistry(t));
  const ref = named[withRegistry === -1 ? 0 : withRegistry]!;
  const cache = formatReference({ registry: ref.registry, repository: ref.repository, tag: `cache_${policy.taskName}_${stepId}` });
  checkImage(cache);
  return cache;
}

/** Whether a name's first component is a registry host, as docker's reference.SplitHostname decides it. */
function hasRegistry(name: string): boolean {
  const slash = name.indexOf('/');
  if (slash === -1) return false;
  const first = name.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

/** Redirections, pipes, command lists and substitutions: words that only mean something to a shell. */
const SHELL_WORDS = /^(\|\|?|&&|;|&|[0-9]*>>?(&[0-9])?|<|2>&1)$|^[0-9]*>>?\S|^\$\(|^`/;

/** The first word of a cmd (after splitting, so quoted text is not counted) that a shell would read as syntax. */
function shellSyntax(words: readonly string[]): string | undefined {
  return words.slice(1).find((w) => SHELL_WORDS.test(w));
}

/** What a cmd's leading `docker run` flags set: given on the command line, they win over the step's properties. */
function applyRunFlags(step: ResolvedStep, flags: RunFlags): void {
  step.env = mergeEnv(step.env, flags.env);
  if (flags.workingDirectory !== undefined) step.workingDirectory = flags.workingDirectory;
  if (flags.entryPoint !== undefined) step.entryPoint = flags.entryPoint;
  if (flags.user !== undefined) step.user = flags.user;
  if (flags.network !== undefined) step.network = flags.network;
  step.privileged ||= flags.privileged;
  step.detach ||= flags.detach;
  step.ports.push(...flags.ports);
  step.expose.push(...flags.expose);
  step.resources = flags.resources;
  step.capAdd = flags.capAdd;
}

function checkImage(image: string): void {
  parseImageReference(image);
}

/** The step's variables win over the task's, as in ACR. */
export function mergeEnv(task: readonly string[], step: readonly string[]): string[] {
  const key = (e: string) => e.slice(0, e.indexOf('='));
  const own = new Set(step.map(key));
  return [...step, ...task.filter((e) => !own.has(key(e)))];
}
