// Reads a task file end to end: size and character checks, templates, YAML, aliases, the schema, the step
// graph, secrets and volumes. Every problem found comes back in one TaskFileError with file, line and column;
// secret values are masked in every message. Pure: no file system, no Docker.
import * as z from 'zod';
import type { SecretMasker } from '../log.js';
import type { RunVariables } from '../tasks/template.js';
import { IssueList } from './errors.js';
import { expandDocument, ExpansionTooLargeError } from './expand.js';
import { buildGraph } from './graph.js';
import { TASK_FILE_LIMITS } from './limits.js';
import type { ResolvedTask } from './model.js';
import { LinePositions } from './positions.js';
import { resolveSteps } from './resolve-steps.js';
import type { StepMaximum } from './step-resources.js';
import { DEFAULT_STEP_TIMEOUT, DEFAULT_WORKING_DIRECTORY, TaskFile } from './schema.js';
import { checkSecrets, decodeVolumes, secretMasker, STAND_IN_SECRET } from './secrets.js';
import { checkCharacters, decodeTaskFile } from './source-checks.js';
import { RESERVED_CHARS, scanTemplates } from './template-scan.js';
import { aliasesApply, ALIAS_VERSION, DEFAULT_TASK_VERSION, findVersion, versionProblem } from './version.js';
import { RUN_ALIASES } from './aliases.js';
import { parseYaml, type PathKey, type YamlSource } from './yaml-source.js';

export interface LoadOptions {
  /** How messages name the file, e.g. `acb.yaml`. */
  file: string;
  run: Partial<RunVariables> & { Registry: string };
  /** From --values files and --set, merged by the caller. */
  values?: Record<string, unknown>;
  /** From --set-secret: readable as {{.Secrets.ID}} and, as in ACR, {{.Values.ID}}. */
  secrets?: Record<string, string>;
  /** Image names a cmd step may use as its first word, e.g. bash → 127.0.0.1:5000/base/busybox:latest. */
  imageAliases?: Record<string, string>;
  allowPrivileged?: boolean;
  /** The server's step limits: a cmd step asking for more than their maximum is refused. */
  stepLimits?: { maximum: StepMaximum };
  /** Only validating: secrets without values stand in as a placeholder, and a Key Vault reference is a warning. */
  dryRun?: boolean;
}

export interface LoadedTask {
  task: ResolvedTask;
  /** Masks every secret value (and its base64 and quoted forms) in text. */
  masker: SecretMasker;
  warnings: string[];
}

/** Known properties ACR has that Slipway does not run, with what to do instead. */
const UNSUPPORTED: Record<string, string> = {
  src: 'external alias files (alias.src) are not supported; put the aliases under alias.values',
  exitedWith: 'exitedWith is not supported',
  exitedWithout: 'exitedWithout is not supported',
  secret: 'a step-level secret is not supported; declare secrets at the task level',
  cpus: 'cpus is not a step property; give a cmd step docker run --cpus N before its image',
};

/** `input` as read from a file (bytes, checked to be UTF-8) or already decoded. */
export function loadTaskFile(input: string | Uint8Array, opts: LoadOptions): LoadedTask {
  const issues = new IssueList(opts.file);
  const given = opts.secrets ?? {};
  const masker = secretMasker(given);
  const mask = (t: string) => masker.mask(t);
  const source = typeof input === 'string' ? input : decodeTaskFile(input, issues);
  if (source !== undefined && source.length > TASK_FILE_LIMITS.bytes) issues.add({ line: 1, column: 1 }, `the task file is larger than ${TASK_FILE_LIMITS.bytes} bytes`);
  issues.throwIfAny();
  const positions = new LinePositions(source!);
  checkCharacters(source!, issues, positions);
  const reserved = RESERVED_CHARS.exec(source!);
  if (reserved) issues.add(positions.at(reserved.index), 'the file contains private-use characters U+E000–U+E01F');
  issues.throwIfAny();

  const values = { ...(opts.values ?? {}), ...given };
  // A secret without a value stands in for now; checkSecrets then says what is missing, at its declaration.
  const secret = (name: string) => (Object.hasOwn(given, name) ? given[name] : STAND_IN_SECRET);
  const scan = scanTemplates(source!, { run: opts.run, values, secret }, issues, positions);
  issues.throwIfAny(mask);
  const yaml = parseYaml(scan.text, issues);
  issues.throwIfAny(mask);
  const doc = yaml!;

  // As ACR decides it: from the version line of the text as written, before templates.
  const foundVersion = findVersion(source!);
  const withAliases = aliasesApply(foundVersion);
  let expanded: unknown;
  let aliases;
  try {
    ({ value: expanded, aliases } = expandDocument(doc.value, scan.expansions, opts.run, opts.imageAliases ?? {}, withAliases));
  } catch (err) {
    if (!(err instanceof ExpansionTooLargeError)) throw err;
    issues.add({ line: 1, column: 1 }, err.message);
    issues.throwIfAny();
  }
  const parsed = TaskFile.safeParse(expanded);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) reportSchemaIssue(issue, doc, expanded, issues);
    issues.throwIfAny(mask);
  }
  const file = parsed.data!;
  const warnings: string[] = [...scan.missing];
  const locate = (path: PathKey[], o?: { key?: boolean }) => doc.locate(path, o);

  const badVersion = file.version === undefined ? undefined : versionProblem(file.version);
  if (badVersion) issues.add(locate(['version']), badVersion);
  if (!withAliases) warnings.push(...unexpandedAliases(source!, positions, foundVersion, file.alias !== undefined ? locate(['alias'], { key: true }) : undefined));

  const graph = buildGraph(file.steps);
  for (const g of graph.issues) {
    issues.add(locate(g.field === 'id' ? ['steps', g.index, 'id'] : ['steps', g.index, 'when', ...(g.whenIndex !== undefined ? [g.whenIndex] : [])]), g.message);
  }
  // A build's --secret id: the given value, a stand-in for one declared without (checkSecrets reports it), else none.
  const declaredSecret = (id: string) => (Object.hasOwn(given, id) ? given[id] : (file.secrets ?? []).some((s) => s.id === id) ? STAND_IN_SECRET : undefined);
  const steps = resolveSteps(file, graph.nodes, { registry: opts.run.Registry, taskName: opts.run.TaskName || QUICK_RUN, aliases: aliases!, allowPrivileged: opts.allowPrivileged ?? false, ...(opts.stepLimits ? { stepMaximum: opts.stepLimits.maximum } : {}), secret: declaredSecret }, issues, warnings, locate);
  checkSecrets(file, scan.secretRefs, given, opts.dryRun ?? false, issues, warnings, locate);
  const volumes = decodeVolumes(file, issues, locate);
  const networkNames = new Set<string>();
  (file.networks ?? []).forEach((n, i) => {
    if (networkNames.has(n.name)) issues.add(locate(['networks', i, 'name']), `duplicate network ${n.name}`);
    networkNames.add(n.name);
  });
  const volumeNames = new Set<string>();
  (file.volumes ?? []).forEach((v, i) => {
    if (volumeNames.has(v.name)) issues.add(locate(['volumes', i, 'name']), `duplicate volume ${v.name}`);
    volumeNames.add(v.name);
  });
  issues.throwIfAny(mask);
  return {
    task: {
      version: file.version ?? DEFAULT_TASK_VERSION,
      stepTimeoutSeconds: file.stepTimeout || DEFAULT_STEP_TIMEOUT,
      workingDirectory: file.workingDirectory ?? DEFAULT_WORKING_DIRECTORY,
      steps,
      networks: (file.networks ?? []).map((n) => ({ name: n.name, ipv6: n.ipv6 ?? false, skipCreation: n.skipCreation ?? false, isDefault: n.isDefault ?? false })),
      volumes,
    },
    masker,
    warnings,
  };
}

const RUN_ALIAS_USE = new RegExp(`\\$(${RUN_ALIASES.join('|')})(?![A-Za-z0-9])`);

/** Before v1.1.0 ACR reads no alias: say so where the file seems to expect one, rather than leave `$Registry` to fail later. */
function unexpandedAliases(source: string, positions: LinePositions, version: string, aliasKey: { line: number; column: number } | undefined): string[] {
  const why = `aliases apply from version: ${ALIAS_VERSION} and this file's version is ${version || `not given (${DEFAULT_TASK_VERSION})`}, as in ACR`;
  const out: string[] = [];
  if (aliasKey) out.push(`${aliasKey.line}:${aliasKey.column}: the alias section is ignored: ${why}`);
  const use = RUN_ALIAS_USE.exec(source);
  if (use) {
    const at = positions.at(use.index);
    out.push(`${at.line}:${at.column}: ${use[0]} is not expanded: ${why}; write {{.Run.${use[1]}}} or set version: ${ALIAS_VERSION}`);
  }
  return out;
}

/** The task name ACR gives a run without a task (`az acr run`), in the build cache's tag. */
const QUICK_RUN = 'quickrun';

const MAX_REPORTED_KEYS = 100;

function reportSchemaIssue(issue: z.core.$ZodIssue, doc: YamlSource, value: unknown, issues: IssueList): void {
  const path = issue.path as PathKey[];
  const where = path.length ? path.join('.') : 'the file';
  if (issue.code === 'unrecognized_keys') {
    // Each key is located by a search of its map: stop at what the issue list keeps, or a file of twenty
    // thousand unknown keys costs seconds.
    for (const key of issue.keys.slice(0, MAX_REPORTED_KEYS)) {
      const at = doc.locate([...path, key], { key: true });
      issues.add(at, (Object.hasOwn(UNSUPPORTED, key) ? UNSUPPORTED[key] : undefined) ?? `unknown property ${key}${path.length ? ` in ${where}` : ''}`);
    }
    return;
  }
  if (issue.code === 'invalid_type' && valueAt(value, path) === undefined) {
    issues.add(doc.locate(path.slice(0, -1)), `${String(path.at(-1))} is required`);
    return;
  }
  // A record's key failed its pattern: the pattern's own message says more than "Invalid key in record".
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  issues.add(doc.locate(path, { key: issue.code === 'invalid_key' }), `${where}: ${message}`);
}

function valueAt(value: unknown, path: readonly PathKey[]): unknown {
  let v = value;
  for (const k of path) v = v !== null && typeof v === 'object' && Object.hasOwn(v, k) ? (v as Record<PathKey, unknown>)[k] : undefined;
  return v;
}
