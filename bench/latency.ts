// Submit-to-start latency: how long after a client's POST /v1/runs an idle worker has the run `running`
// (its startedAt), measured on the one machine clock from just before the POST. The context (a trivial
// Dockerfile) is uploaded once; each run is noPush and awaited before the next is submitted, so the
// worker is idle at every submit. The first run is reported apart: it may fork the sandboxed child.
//
// Every BuildKit build through Docker Engine 20.10 costs seconds before BuildKit even starts (it probes
// each QEMU binfmt handler, see bench/results/build.md), so 200 real builds do not fit in the time
// budget. The main series therefore names a Dockerfile the context does not have: the run starts exactly
// as any other (startedAt is stamped before the workspace is touched) and fails right after, without
// touching the Engine. A short series of real trivial builds checks that latency is the same after them.
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { contextArchive } from '../test/support/archives.js';
import { getRun, postJson, uploadContext, type RunBody } from '../test/support/api.js';
import { startTestStack } from '../test/support/stack.js';
import { TRIVIAL_DOCKERFILE } from './lib/contexts.js';
import { latencyFigures } from './lib/figures.js';
import { historyLine, recordRun } from './lib/history.js';
import { machineInfo } from './lib/machine.js';
import { benchOptions } from './lib/options.js';
import type { LatencySection } from './lib/results.js';
import { summarize } from './lib/stats.js';
import { measureTokenCheck, TOKEN_CHECK_TARGET_P99_US } from './lib/token-check.js';
import { renderLatency } from './lib/summary.js';

const TARGET_P99_MS = 50;
/** Pause after a run ends, so the worker is back to waiting on Redis when the next one is submitted. */
const SETTLE_MS = 20;
const POLL_MS = 10;
const LONG_IDLE_MS = 6000;
const LONG_IDLE_RUNS = 1;
const FULL_BUILD_RUNS = 2;
/** Not in the context: the run starts, then fails before any Engine call. */
const ABSENT_DOCKERFILE = 'Dockerfile.absent';
const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'timeout', 'error']);

const opts = benchOptions();
const began = performance.now();
const startedAt = new Date().toISOString();
const machine = await machineInfo();
const say = (msg: string) => process.stderr.write(`bench latency: ${msg}\n`);
const now = () => performance.timeOrigin + performance.now();

interface Sample {
  submitToStartMs: number;
  submitToCreatedMs: number;
  createdToStartMs: number;
  postResponseMs: number;
  runMs: number;
}

const stack = await startTestStack();
try {
  const up = await uploadContext(stack.url, await contextArchive(TRIVIAL_DOCKERFILE, { 'hello.txt': 'hello\n' }));
  if (up.status >= 300) throw new Error(`context upload failed: ${JSON.stringify(up.body)}`);
  const failures: string[] = [];

  const once = async (dockerfile = ABSENT_DOCKERFILE): Promise<Sample | undefined> => {
    const t0 = now();
    const res = await postJson(`${stack.url}/v1/runs`, { context: up.body.digest, dockerfile, noPush: true });
    const postResponseMs = now() - t0;
    if (res.status !== 202) throw new Error(`POST /v1/runs answered ${res.status}: ${JSON.stringify(res.body)}`);
    const run = await finished(res.body.id as string);
    const expected = dockerfile === ABSENT_DOCKERFILE ? 'failed' : 'succeeded';
    if (run.status !== expected) failures.push(`run ${run.id} ${run.status}: ${String(run.error ?? '').slice(0, 300)}`);
    const created = Date.parse(run.createdAt as string);
    const started = Date.parse(run.startedAt as string);
    const ended = Date.parse(run.finishedAt as string);
    if (Number.isNaN(started)) return undefined;
    return { submitToStartMs: started - t0, submitToCreatedMs: created - t0, createdToStartMs: started - created, postResponseMs, runMs: ended - started };
  };

  say('first run after the worker started');
  const first = await once();
  if (!first) throw new Error(`the first run never started: ${failures.join('; ')}`);
  say(`first: ${Math.round(first.submitToStartMs)} ms to start`);

  const samples: Sample[] = [];
  for (let i = 0; i < opts.latencyRuns; i++) {
    await sleep(SETTLE_MS);
    const s = await once();
    if (s) samples.push(s);
    if ((i + 1) % 50 === 0) say(`${i + 1}/${opts.latencyRuns} runs`);
  }
  const fullBuilds: Sample[] = [];
  say(`${FULL_BUILD_RUNS} real trivial builds`);
  for (let i = 0; i < FULL_BUILD_RUNS; i++) {
    await sleep(SETTLE_MS);
    const s = await once('Dockerfile');
    if (s) fullBuilds.push(s);
  }
  const afterLongIdle: number[] = [];
  for (let i = 0; i < LONG_IDLE_RUNS; i++) {
    say(`idling ${LONG_IDLE_MS / 1000} s before a run`);
    await sleep(LONG_IDLE_MS);
    const s = await once();
    if (s) afterLongIdle.push(Math.round(s.submitToStartMs));
  }

  say('the token check alone, read from Redis and from the token cache');
  const tokenCheck = await measureTokenCheck(stack.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379', stack.prefix, stack.token);

  const of = (k: keyof Sample) => summarize(samples.map((s) => s[k]));
  const submitToStart = of('submitToStartMs');
  const section: LatencySection = {
    runs: samples.length,
    first: { submitToStartMs: Math.round(first.submitToStartMs), submitToCreatedMs: Math.round(first.submitToCreatedMs), createdToStartMs: Math.round(first.createdToStartMs) },
    submitToStart,
    submitToCreated: of('submitToCreatedMs'),
    createdToStart: of('createdToStartMs'),
    postResponse: of('postResponseMs'),
    runDuration: of('runMs'),
    fullBuilds: { submitToStart: summarize(fullBuilds.map((s) => s.submitToStartMs)), runDuration: summarize(fullBuilds.map((s) => s.runMs)) },
    afterLongIdle: { idleMs: LONG_IDLE_MS, submitToStartMs: afterLongIdle },
    targetP99Ms: TARGET_P99_MS,
    targetMet: submitToStart.p99 <= TARGET_P99_MS,
    tokenCheckUs: { ...tokenCheck.cached, targetP99Us: TOKEN_CHECK_TARGET_P99_US, targetMet: tokenCheck.cached.p99 <= TOKEN_CHECK_TARGET_P99_US },
    tokenCheckColdUs: tokenCheck.cold,
    tokenCheckCachedColdReads: tokenCheck.cachedSeriesColdReads,
    failures,
    loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
    elapsedMs: Math.round(performance.now() - began),
  };
  await recordRun(historyLine('latency', { id: opts.runId, startedAt }, machine, latencyFigures(section)), renderLatency(opts.runId, machine, section));
  say(`submit → start over ${samples.length} runs: p50 ${submitToStart.p50} ms, p99 ${submitToStart.p99} ms, max ${submitToStart.max} ms (target p99 ≤ ${TARGET_P99_MS} ms)`);
} finally {
  await stack.close();
}

async function finished(id: string): Promise<RunBody> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const run = await getRun(stack.url, id);
    if (TERMINAL.has(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status} after 60 s`);
    await sleep(POLL_MS);
  }
}
