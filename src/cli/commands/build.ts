// `slipway build`: pack and upload a context (or name a git repository), submit a run, follow its log, print the
// pushed images.
// Exits 0 only when the run succeeded; Ctrl-C cancels the run, like docker build.
import { loadCliConfig } from '../../config.js';
import type { SlipwayApi } from '../api-client.js';
import type { RunSubmission } from '../../contract/requests.js';
import { uploadContext } from '../context-upload.js';
import { looksLikeGitContext } from '../../git/context.js';
import { UsageError } from '../errors.js';
import type { ExitCode } from '../exit.js';
import { parseImage, parseKeyValues, parseLabels, parsePlatformFlag, parseTimeout } from '../flags.js';
import { interruptible } from '../interrupt.js';
import { readSecretFlags } from '../secret-flags.js';
import { resultOnly, type CliIo } from '../io.js';
import { watchSubmittedRun, type WatchFlags } from '../run-watch.js';

/** The options as commander hands them over (repeatable ones collected, --no-x as x: false). */
export interface BuildFlags extends WatchFlags {
  tag?: string[];
  file?: string;
  buildArg?: string[];
  secretBuildArg?: string[];
  /** `id=ID,src=FILE` or `id=ID,env=VARIABLE`: BuildKit secrets, read here and never stored. */
  secret?: string[];
  platform?: string;
  target?: string;
  label?: string[];
  /** false after --no-cache. */
  cache: boolean;
  pull?: boolean;
  cacheFrom?: string[];
  cacheTo?: string;
  push: boolean;
  timeout?: string;
}

type BuildRequest = Omit<RunSubmission, 'context' | 'dockerfile'>;

/** Checks every flag before anything is packed or sent. */
export function parseBuildFlags(flags: BuildFlags): BuildRequest {
  const buildArgs = parseKeyValues('--build-arg', flags.buildArg ?? []);
  const secretBuildArgs = parseKeyValues('--secret-build-arg', flags.secretBuildArg ?? [], { secret: true });
  const both = Object.keys(secretBuildArgs).filter((k) => Object.hasOwn(buildArgs, k));
  if (both.length > 0) throw new UsageError(`${both.join(', ')}: given both as --build-arg and --secret-build-arg; pick one`);
  if (flags.target !== undefined && flags.target === '') throw new UsageError('--target: the stage name is empty');
  return {
    images: (flags.tag ?? []).map((t) => parseImage(t, '--tag')),
    buildArgs,
    secretBuildArgs,
    platform: flags.platform === undefined ? undefined : parsePlatformFlag(flags.platform),
    target: flags.target,
    ...(flags.label?.length ? { labels: parseLabels(flags.label) } : {}),
    ...(flags.cache === false ? { noCache: true } : {}),
    ...(flags.pull ? { pull: true } : {}),
    ...(flags.cacheFrom?.length ? { cacheFrom: flags.cacheFrom.map(parseCacheFrom) } : {}),
    ...(flags.cacheTo !== undefined ? { cacheTo: parseCacheTo(flags.cacheTo) } : {}),
    noPush: !flags.push,
    timeoutSeconds: flags.timeout === undefined ? undefined : parseTimeout(flags.timeout),
  };
}

/** buildx's `--cache-from IMAGE` or `type=registry,ref=IMAGE`: the image. */
export function parseCacheFrom(input: string): string {
  if (!input.includes('=')) return parseImage(input, '--cache-from');
  const fields = Object.fromEntries(input.split(',').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]));
  if ((fields.type ?? 'registry') !== 'registry' || !fields.ref) throw new UsageError(`--cache-from ${JSON.stringify(input.slice(0, 80))}: the Engine takes cache from images only: IMAGE or type=registry,ref=IMAGE`);
  return parseImage(fields.ref, '--cache-from');
}

/** buildx's `--cache-to type=inline` (or `inline`): the one cache export the Engine API has. */
export function parseCacheTo(input: string): 'inline' {
  if (input === 'inline' || input === 'type=inline') return 'inline';
  throw new UsageError(`--cache-to ${JSON.stringify(input.slice(0, 80))}: the Engine exports cache only into the pushed image: --cache-to type=inline (then --cache-from that image)`);
}

export async function build(api: SlipwayApi, contextDir: string, flags: BuildFlags, io: CliIo): Promise<ExitCode> {
  const request = parseBuildFlags(flags);
  const buildSecrets = await readSecretFlags(flags.secret ?? []);
  if (Object.keys(buildSecrets).length) request.buildSecrets = buildSecrets;
  return interruptible(async (signal) => {
    // A repository, as docker build takes one: the server fetches it, and -f is relative to it.
    if (looksLikeGitContext(contextDir)) {
      const run = await api.submitRun({ ...request, context: contextDir, dockerfile: flags.file ?? 'Dockerfile' });
      return watchSubmittedRun(api, run, flags, io, signal);
    }
    // -q: nothing but the result, as buildx; the upload's progress is left out with the log.
    const context = await uploadContext(api, contextDir, { dockerfile: flags.file, io: flags.quiet ? resultOnly(io) : io, signal, cacheDir: cacheDir(io) });
    const run = await api.submitRun({ ...request, context: context.digest, dockerfile: context.dockerfile });
    return watchSubmittedRun(api, run, flags, io, signal);
  });
}

/** The context cache's folder; a configuration that cannot be read turns the cache off rather than failing a build given --server. */
export function cacheDir(io: CliIo): string | undefined {
  try {
    return loadCliConfig().cli.cacheDir;
  } catch (err) {
    io.stderr.write(`slipway: not using the context cache: ${err instanceof Error ? err.message : String(err)}\n`);
    return undefined;
  }
}
