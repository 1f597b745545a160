// `slipway deps [-f Dockerfile] [--build-arg K=V] [--target T] [--platform P] [CONTEXT]`: what a Dockerfile
// builds on, read locally without building — each base image, whether the built image runs on it (runtime)
// or only uses it to build (buildtime), and where. The same reading the worker records for the graph.
import fs from 'node:fs/promises';
import path from 'node:path';
import { WORKER_BUILD_PLATFORM, extractBases } from '../../dockerfile/bases.js';
import { isSlipwayError } from '../../errors.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit.js';
import { parseKeyValues, parsePlatformFlag } from '../flags.js';
import { renderTable } from '../format.js';
import type { CliIo } from '../io.js';

export interface DepsFlags {
  file?: string;
  buildArg?: string[];
  target?: string;
  platform?: string;
  json?: boolean;
}

/** Dockerfiles larger than this are not read: BuildKit itself refuses far smaller ones in practice. */
const MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024;

export async function deps(context: string, flags: DepsFlags, io: CliIo): Promise<ExitCode> {
  const file = flags.file ?? path.join(context, 'Dockerfile');
  const text = await readDockerfile(file);
  const platform = flags.platform ? parsePlatformFlag(flags.platform) : 'linux/amd64';
  if (platform.includes(',')) throw new UsageError('--platform takes one platform here: the bases of each platform may differ');
  // BUILDPLATFORM is the worker's, not this machine's: a Mac must get the worker's answer.
  const buildArgs = parseKeyValues('--build-arg', flags.buildArg ?? []);
  let result: ReturnType<typeof extractBases>;
  try {
    result = extractBases(text, { buildArgs, platform, buildPlatform: WORKER_BUILD_PLATFORM, ...(flags.target ? { target: flags.target } : {}) });
  } catch (err) {
    // Dockerfile mistakes (a bad FROM, an unknown --target) are the user's to fix: exit 2 with the file named.
    if (isSlipwayError(err)) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return ExitCode.ok;
  }
  for (const w of result.warnings) io.stderr.write(`slipway: warning: ${w}\n`);
  if (result.bases.length === 0) {
    io.stderr.write(`${file} builds on no image (FROM scratch only)\n`);
    return ExitCode.ok;
  }
  const rows = result.bases.map((b) => [b.image, b.kind, b.stage ?? '-', String(b.line), b.via === 'from' ? `FROM${b.platform ? ` --platform=${b.platform}` : ''}` : b.via === 'copy-from' ? 'COPY --from' : 'RUN --mount from']);
  io.stdout.write(`${renderTable(['IMAGE', 'KIND', 'STAGE', 'LINE', 'VIA'], rows)}\n`);
  return ExitCode.ok;
}

async function readDockerfile(file: string): Promise<string> {
  const stat = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(err.code === 'ENOENT' ? `no Dockerfile at ${file}; pass -f with its path` : `cannot read ${file}: ${err.message}`);
  });
  if (!stat.isFile()) throw new UsageError(`${file} is not a file; pass -f with the Dockerfile's path`);
  if (stat.size > MAX_DOCKERFILE_BYTES) throw new UsageError(`${file} is ${stat.size} bytes, over the ${MAX_DOCKERFILE_BYTES}-byte limit for a Dockerfile`);
  return fs.readFile(file, 'utf8');
}
