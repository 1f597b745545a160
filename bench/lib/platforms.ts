// Helpers of the multi-platform bench (bench/platforms.ts): its two build contexts, a raw Engine BuildKit
// build that also reports how long BuildKit itself spent on the RUN step (from the `moby.buildkit.trace`
// status messages), one multi-platform `slipway build` with its per-platform timestamps, and the
// markdown summary.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { decodeStatusResponse } from '../../workers/builder/docker/buildkit-status.js';
import { execOk } from './exec.js';
import { readRun, runCli, type CliVariant } from './slipway.js';

const API_VERSION = 'v1.41';
const SOURCE_FILES = 4;
const SOURCE_BYTES = 64 * 1024;
/** Iterations of the shell loop in the RUN step of the QEMU comparison. */
export const LOOP_COUNT = 200_000;

/** Builds for every platform, windows/amd64 included: no RUN, so windows is assembled without a daemon. */
export const threePlatformDockerfile = (base: string) => `FROM ${base}
COPY nonce.txt /app/nonce.txt
COPY src/ /app/src/
CMD ["cat", "/app/nonce.txt"]
`;

/** linux only: a RUN step of pure CPU work in busybox sh, after a nonce so that it is never cached. */
export const cpuDockerfile = (base: string) => `FROM ${base}
COPY nonce.txt /nonce.txt
RUN i=0; while [ $i -lt ${LOOP_COUNT} ]; do i=$((i+1)); done; echo $i
CMD ["cat", "/nonce.txt"]
`;

/** Writes a fresh context (new nonce and source files) with `dockerfile`; returns its size in bytes. */
export async function writeContext(dir: string, dockerfile: string): Promise<number> {
  await fs.mkdir(path.join(dir, 'src'), { recursive: true });
  const files: [string, string][] = [
    ['Dockerfile', dockerfile],
    ['nonce.txt', `${randomBytes(16).toString('hex')}\n`],
  ];
  for (let i = 1; i <= SOURCE_FILES; i++) files.push([`src/module-${i}.txt`, randomBytes((SOURCE_BYTES * 3) / 4).toString('base64')]);
  let bytes = 0;
  for (const [name, content] of files) {
    await fs.writeFile(path.join(dir, name), content);
    bytes += Buffer.byteLength(content);
  }
  return bytes;
}

export interface TracedBuild {
  /** the whole POST /build, tar to last byte */
  ms: number;
  firstByteMs: number;
  /** BuildKit's own started → completed of the RUN step's vertex; undefined when it reported none */
  runStepMs?: number;
  imageId: string;
}

/** As engineBuild (bench/lib/docker.ts), also decoding BuildKit's status stream for the RUN step's timing. */
export async function engineBuildTraced(socket: string, dir: string, image: string, platform: string): Promise<TracedBuild> {
  const query = new URLSearchParams({ version: '2', t: image, platform, dockerfile: 'Dockerfile', buildid: randomUUID() });
  const res = await execOk([
    ['tar', ['-C', dir, '-cf', '-', '.']],
    ['curl', ['-sS', '--fail', '--unix-socket', socket, '-X', 'POST', '-H', 'Content-Type: application/x-tar', '--data-binary', '@-', '--no-buffer', `http://localhost/${API_VERSION}/build?${query}`]],
  ]);
  let imageId: string | undefined;
  const runVertex: { started?: Date; completed?: Date } = {};
  for (const line of res.stdout.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const msg = JSON.parse(line) as { id?: string; aux?: unknown; error?: string; errorDetail?: { message?: string } };
    if (msg.error) throw new Error(`raw BuildKit build of ${image} (${platform}) failed: ${msg.errorDetail?.message ?? msg.error}`);
    if (msg.id === 'moby.image.id' && typeof msg.aux === 'object' && msg.aux && 'ID' in msg.aux) imageId = String((msg.aux as { ID: unknown }).ID);
    if (msg.id === 'moby.buildkit.trace' && typeof msg.aux === 'string') {
      for (const v of decodeStatusResponse(Buffer.from(msg.aux, 'base64')).vertexes) {
        if (!/\] RUN /.test(v.name) && !v.name.startsWith('RUN ')) continue;
        if (v.started) runVertex.started = v.started;
        if (v.completed) runVertex.completed = v.completed;
      }
    }
  }
  if (!imageId) throw new Error(`raw BuildKit build of ${image} (${platform}) ended without an image id`);
  const runStepMs = runVertex.started && runVertex.completed ? runVertex.completed.getTime() - runVertex.started.getTime() : undefined;
  return { ms: res.ms, firstByteMs: res.firstOutputMs, runStepMs, imageId };
}

export interface PlatformTiming {
  platform: string;
  status: string;
  /** the platform job's startedAt → finishedAt, ms */
  ms: number | null;
  /** its startedAt, ms after the CLI was spawned */
  startOffsetMs: number | null;
}

export interface SlipwayMultiRun {
  totalMs: number;
  runId?: string;
  /** the run's createdAt → finishedAt */
  runMs: number | null;
  platforms: PlatformTiming[];
  /** the platform jobs ran one at a time (no two startedAt–finishedAt spans overlap) */
  sequential: boolean | null;
  error?: string;
}

/** One `slipway build --platform a,b,c` from spawn to exit, then its run record's per-platform timestamps. */
export async function slipwayMultiBuild(variant: CliVariant, server: string, dir: string, image: string, platforms: readonly string[], cwd: string): Promise<SlipwayMultiRun> {
  const cli = await runCli(variant, ['build', dir, '-t', image, '--platform', platforms.join(','), '--server', server], { cwd });
  const runId = cli.lines.find((l) => /^Run ID: /.test(l.text))?.text.slice('Run ID: '.length).trim();
  const out: SlipwayMultiRun = { totalMs: Math.round(cli.totalMs), runId, runMs: null, platforms: [], sequential: null };
  if (cli.code !== 0) out.error = `slipway build exited ${cli.code}: ${cli.lines.slice(-10).map((l) => l.text).join(' | ')}`;
  if (!runId) return { ...out, error: out.error ?? 'no run id printed' };
  const run = await readRun(server, runId);
  const at = (s: unknown) => (typeof s === 'string' ? Date.parse(s) : NaN);
  const span = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) ? Math.round(b - a) : null);
  out.runMs = span(at(run.createdAt), at(run.finishedAt));
  const results = (run.platformResults ?? []) as { platform: string; status: string; startedAt?: string; finishedAt?: string }[];
  out.platforms = results.map((p) => ({
    platform: p.platform,
    status: p.status,
    ms: span(at(p.startedAt), at(p.finishedAt)),
    startOffsetMs: span(cli.spawnedAt, at(p.startedAt)),
  }));
  const spans = results.map((p) => [at(p.startedAt), at(p.finishedAt)] as const).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)).sort((x, y) => x[0] - y[0]);
  if (spans.length === results.length && spans.length > 0) out.sequential = spans.every((s, i) => i === 0 || s[0] >= spans[i - 1]![1]);
  if (!out.error && run.status !== 'succeeded') out.error = `run ${runId} ${run.status}: ${run.error ?? ''}`;
  return out;
}
