// Base-image extraction from a Dockerfile, for the base-image dependency graph: which images a build of the
// target stage pulls, and which of them end up under the built image (runtime) rather than only helping to
// build it (buildtime). Pure: no I/O. Follows BuildKit's semantics (see the modules this composes).
import { BadInputError } from '../errors.js';
import { parseImageReference } from '../registry/reference.js';
import { DockerfileError, quote } from './errors.js';
import { MatchBudget } from './glob.js';
import { checkCycles, checkSourceOrder, reachableStages, runtimeChain, sourcesOf } from './graph.js';
import { buildMetaArgs } from './meta-args.js';
import { type ResolvedStage, resolveStages } from './resolve.js';
import { type PreparedDockerfile, prepareDockerfile } from './source.js';
import { type StageText, readStages } from './stages.js';
import { SYMBOL_CLOSE, SYMBOL_OPEN } from './word.js';

export interface BaseImage {
  /** Normalised reference, e.g. `docker.io/library/golang:1.22`. */
  image: string;
  /** Name (`FROM … AS name`) or index of the stage that uses the image. */
  stage?: string;
  /** runtime: the final (or target) stage is built on it, through FROMs; buildtime: anything else the build pulls. */
  kind: 'runtime' | 'buildtime';
  via: 'from' | 'copy-from' | 'mount-from';
  /** FROM --platform=… after substitution; `$BUILDPLATFORM` etc. stay as written when not given as build args. */
  platform?: string;
  /** 1-based line of the FROM, or of the --from / --mount flag. */
  line: number;
}

export interface DockerfileStage {
  name?: string;
  index: number;
  /** A normalised image, `scratch`, the name of the stage it is built on, or text with `$VAR` left in. */
  from: string;
}

export interface DockerfileBases {
  bases: BaseImage[];
  stages: DockerfileStage[];
  warnings: string[];
}

export interface ExtractBasesOptions {
  /**
   * Values for global ARGs (declared before the first FROM), as `--build-arg` gives them: they win over ARG
   * defaults. Without `platform` (or `buildPlatform`), a TARGETPLATFORM (BUILDPLATFORM) build arg stands for it.
   */
  buildArgs?: Record<string, string>;
  /** The platform being built (`--platform`), `os/arch[/variant]`: TARGETPLATFORM and its parts, unless an ARG default replaces them. */
  platform?: string;
  /** The platform of the worker that builds: BUILDPLATFORM and its parts. */
  buildPlatform?: string;
  /** Stage to build (`--target`); the last stage when absent. */
  target?: string;
  /** Registry for names without one; docker.io when absent. */
  defaultRegistry?: string;
}

/**
 * BUILDPLATFORM of a Slipway build: the workers' Engines run on linux/amd64 and build other platforms under
 * emulation, so a build stage FROM --platform=$BUILDPLATFORM pulls linux/amd64 whatever the target.
 */
export const WORKER_BUILD_PLATFORM = 'linux/amd64';

/** Work allowed for ${var#pattern}-style matching in one Dockerfile; real files use a tiny fraction. */
const MATCH_BUDGET = 5_000_000;
const MAX_WARNINGS = 100;

export function extractBases(dockerfile: string, opts: ExtractBasesOptions = {}): DockerfileBases {
  const { stages, target, warnings } = resolveDockerfile(dockerfile, opts);
  return {
    bases: collectBases(stages, target, opts.platform ?? opts.buildArgs?.TARGETPLATFORM),
    stages: stages.map((s) => (s.name !== undefined ? { name: s.name, index: s.index, from: s.from } : { index: s.index, from: s.from })),
    warnings: warnings.length > MAX_WARNINGS ? [...warnings.slice(0, MAX_WARNINGS), `… and ${warnings.length - MAX_WARNINGS} more warnings`] : warnings,
  };
}

/** A Dockerfile read and its stages resolved as a build with `opts` sees them: what extractBases and a FROM rewrite start from. */
export interface ResolvedDockerfile {
  prepared: PreparedDockerfile;
  stages: ResolvedStage[];
  /** The same stages as written, before substitution. */
  written: StageText[];
  /** Index of the stage built (`--target`, or the last). */
  target: number;
  warnings: string[];
}

export function resolveDockerfile(dockerfile: string, opts: ExtractBasesOptions = {}): ResolvedDockerfile {
  if (typeof dockerfile !== 'string') throw new BadInputError('the Dockerfile must be text', 'invalid_dockerfile');
  const buildArgs = checkBuildArgs(opts.buildArgs ?? {});
  const prepared = prepareDockerfile(dockerfile);
  const warnings: string[] = [];
  const standard = isStandardSyntax(prepared.syntax);
  if (!standard) warnings.push(`# syntax=${prepared.syntax} selects another frontend; base images were read with standard Dockerfile rules`);

  const text = readStages(prepared, standard);
  warnings.push(...text.warnings);

  const target = findTarget(text.stages, opts.target);
  const budget = new MatchBudget(MATCH_BUDGET);
  const targetStage = opts.target || (text.stages[text.stages.length - 1]!.name ?? 'default');
  const platforms = { ...(opts.platform !== undefined ? { target: opts.platform } : {}), ...(opts.buildPlatform !== undefined ? { build: opts.buildPlatform } : {}) };
  const env = buildMetaArgs(text.args, buildArgs, platforms, targetStage, prepared.escape, budget);
  const ctx = { env, escape: prepared.escape, budget, warnings, ...(opts.defaultRegistry !== undefined ? { defaultRegistry: opts.defaultRegistry } : {}) };
  const stages = resolveStages(text.stages, ctx);
  checkCycles(stages);
  return { prepared, stages, written: text.stages, target, warnings };
}

/**
 * One entry per image and platform pulled: an image a build stage pulls for $BUILDPLATFORM and the target
 * stage pulls for the target platform is two dependencies, as a new version of either must rebuild.
 */
function collectBases(stages: readonly ResolvedStage[], target: number, targetPlatform: string | undefined): BaseImage[] {
  const chain = runtimeChain(target, stages);
  const reachable = reachableStages(target, stages);
  checkSourceOrder(reachable, stages);
  const byImage = new Map<string, BaseImage>();
  const add = (base: BaseImage) => {
    const key = `${base.image} ${base.platform ?? targetPlatform ?? ''}`;
    const seen = byImage.get(key);
    if (!seen || (seen.kind === 'buildtime' && base.kind === 'runtime')) byImage.set(key, base);
  };
  for (const i of [...reachable].sort((a, b) => a - b)) {
    const s = stages[i]!;
    const stage = s.name ?? String(i);
    if (s.base.kind === 'platform-image') throw platformDependent(s);
    if (s.base.kind === 'image') {
      const kind = chain.has(i) ? 'runtime' : 'buildtime';
      add({ image: s.base.image, stage, kind, via: 'from', ...(s.platform !== undefined ? { platform: s.platform } : {}), line: s.line });
    }
    for (const src of sourcesOf(s, stages)) {
      if (src.target.kind === 'image') add({ image: src.target.image, stage, kind: 'buildtime', via: src.via, line: src.line });
    }
  }
  const rank = (b: BaseImage) => (b.kind === 'runtime' ? 0 : 1);
  return [...byImage.values()].sort((a, b) => rank(a) - rank(b) || a.line - b.line);
}

function platformDependent(s: ResolvedStage): DockerfileError {
  const vars = [...new Set([...s.from.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
  const platforms = [...new Set(vars.map((v) => (v.startsWith('BUILD') ? 'BUILDPLATFORM' : 'TARGETPLATFORM')))];
  return new DockerfileError(
    `FROM ${quote(s.from)} names an image that depends on the platform (${vars.map((v) => `$${v}`).join(', ')}): ` +
      `pass ${platforms.map((p) => `--build-arg ${p}=<os/arch>`).join(' ')}`,
    s.line,
  );
}

function findTarget(stages: readonly StageText[], target: string | undefined): number {
  if (target === undefined || target === '') return stages.length - 1;
  const wanted = target.toLowerCase();
  for (let i = stages.length - 1; i >= 0; i--) if (stages[i]!.name === wanted) return i;
  const names = [...new Set(stages.flatMap((s) => (s.name !== undefined ? [s.name] : [])))];
  const listed = names.length > 50 ? `${names.slice(0, 50).join(', ')}, …` : names.join(', ');
  throw new DockerfileError(
    names.length === 0
      ? `target stage ${quote(target)} not found: the Dockerfile has no named stages (FROM <image> AS <name>)`
      : `target stage ${quote(target)} not found; the stages are: ${listed}`,
  );
}

function checkBuildArgs(buildArgs: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(buildArgs)) {
    if (typeof value !== 'string') throw new BadInputError(`build arg ${quote(name)} must be a string`, 'invalid_build_arg');
    if (value.includes(SYMBOL_OPEN) || value.includes(SYMBOL_CLOSE)) {
      throw new BadInputError(`build arg ${quote(name)} contains private-use characters U+E000/U+E001`, 'invalid_build_arg');
    }
  }
  return buildArgs;
}

/** docker/dockerfile (or -upstream) at any tag: the frontend whose rules this module implements. */
function isStandardSyntax(syntax: string | undefined): boolean {
  if (syntax === undefined) return true;
  try {
    const ref = parseImageReference(syntax);
    return ref.registry === 'docker.io' && (ref.repository === 'docker/dockerfile' || ref.repository === 'docker/dockerfile-upstream');
  } catch {
    return false;
  }
}
