// Load: clients submitting small builds at once, with log followers attached, against one API and one
// worker on the real stack (loopback only; bounded in count and time). Every accepted run must end in a
// terminal state and none may be lost; the figures are POST /v1/runs as each client saw it (p50/p99) and
// the API process's resident memory at its highest (sampled from /proc). Sizes come from BENCH_LOAD_*
// (bench/lib/options.ts): the issue's 50 clients, 500 builds over 5 minutes and 100 followers by default.
// Every build is a real one, of a one-line Dockerfile on the test base, not pushed: the API and queue are
// what is measured, the worker only has to keep up.
import fs from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { SseParser } from '../src/cli/sse.js';
import { apiFetch, postJson, uploadContext } from '../test/support/api.js';
import { contextArchive } from '../test/support/archives.js';
import { BASE_IMAGE, startTestStack } from '../test/support/stack.js';
import { historyLine, recordRun } from './lib/history.js';
import { machineInfo } from './lib/machine.js';
import { benchOptions, loadOptions } from './lib/options.js';
import { summarize, type Summary } from './lib/stats.js';

const TARGET_POST_P99_MS = 100;
const TARGET_RSS_MIB = 300;
const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'timeout', 'error']);
const RSS_SAMPLE_MS = 250;

const opts = benchOptions();
const load = loadOptions();
const startedAt = new Date().toISOString();
const machine = await machineInfo();
const say = (msg: string) => process.stderr.write(`bench load: ${msg}\n`);
const now = () => performance.timeOrigin + performance.now();

const stack = await startTestStack({
  env: {
    // Every client here shares the stack's one token, and the per-token cap on followers would refuse most.
    SLIPWAY_LOG_FOLLOWERS_PER_CLIENT: String(load.followers + 10),
    SLIPWAY_WORKER_CONCURRENCY: String(load.workerConcurrency),
  },
});
let rssMaxKiB = 0;
const rssTimer = setInterval(() => void apiRssKiB(stack.apiPid()).then((kib) => (rssMaxKiB = Math.max(rssMaxKiB, kib))), RSS_SAMPLE_MS);
try {
  const up = await uploadContext(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\nARG N\nLABEL slipway.load.n=$N\n`));
  if (up.status >= 300) throw new Error(`context upload failed: ${JSON.stringify(up.body)}`);
  const rssAtStartKiB = await apiRssKiB(stack.apiPid());

  const postMs: number[] = [];
  const accepted: string[] = [];
  const refused: string[] = [];
  const followed: Promise<FollowResult>[] = [];
  // Followers attach to runs spread over the whole submission, each as soon as its run is accepted.
  const followEvery = load.followers > 0 ? Math.max(1, Math.floor(load.builds / load.followers)) : Infinity;
  const began = now();
  say(`${load.clients} clients submitting ${load.builds} builds over ${load.durationMs / 1000} s, ${load.followers} log followers`);
  await Promise.all(
    Array.from({ length: load.clients }, async (_, client) => {
      // Client c submits builds c, c + clients, …, each at its own moment of the duration.
      for (let n = client; n < load.builds; n += load.clients) {
        const at = began + (n / load.builds) * load.durationMs;
        if (at > now()) await sleep(at - now());
        const t0 = now();
        const res = await postJson(`${stack.url}/v1/runs`, { context: up.body.digest, dockerfile: 'Dockerfile', noPush: true, buildArgs: { N: String(n) } }).catch((err: Error) => ({ status: 0, body: { error: err.message } }));
        postMs.push(now() - t0);
        if (res.status !== 202) {
          refused.push(`build ${n}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
          continue;
        }
        accepted.push(res.body.id as string);
        if (n % followEvery === 0 && followed.length < load.followers) followed.push(follow(stack.url, res.body.id as string));
      }
    }),
  );
  say(`${accepted.length} accepted, ${refused.length} refused; waiting for every run to end`);

  const deadline = began + load.budgetMs;
  const statuses = new Map<string, string>();
  for (let pending = [...accepted]; pending.length > 0; ) {
    if (now() > deadline) break;
    const read = await inBatches(pending, 25, async (id) => [id, await runStatus(stack.url, id)] as const);
    for (const [id, status] of read) if (status && TERMINAL.has(status)) statuses.set(id, status);
    pending = pending.filter((id) => !statuses.has(id));
    if (pending.length) await sleep(2_000);
  }
  const endedMs = now() - began;
  const followers = await Promise.all(followed);
  const lost = accepted.filter((id) => !statuses.has(id));
  const byStatus: Record<string, number> = {};
  for (const s of statuses.values()) byStatus[s] = (byStatus[s] ?? 0) + 1;
  const post = round(summarize(postMs));
  const rssMaxMiB = Math.round((Math.max(rssMaxKiB, await apiRssKiB(stack.apiPid())) / 1024) * 10) / 10;
  const followerFailures = followers.filter((f) => !f.ended || f.lines === 0).map((f) => `${f.runId}: ${f.error ?? (f.ended ? 'no line' : 'stream did not end')}`);

  const figures = {
    clients: load.clients,
    builds: load.builds,
    followers: followers.length,
    durationS: load.durationMs / 1000,
    accepted: accepted.length,
    refused: refused.length,
    terminal: statuses.size,
    lost: lost.length,
    byStatus,
    postRunsMs: { p50: post.p50, p99: post.p99, max: post.max },
    postTargetP99Ms: TARGET_POST_P99_MS,
    postMet: post.p99 <= TARGET_POST_P99_MS,
    apiRssMaxMiB: rssMaxMiB,
    apiRssAtStartMiB: Math.round((rssAtStartKiB / 1024) * 10) / 10,
    rssTargetMiB: TARGET_RSS_MIB,
    rssMet: rssMaxMiB < TARGET_RSS_MIB,
    allEndedS: Math.round(endedMs / 100) / 10,
    followerFailures: followerFailures.length,
  };
  const ok = lost.length === 0 && refused.length === 0 && followerFailures.length === 0 && (byStatus.succeeded ?? 0) === accepted.length;
  const file = await recordRun(historyLine('load', { id: opts.runId, startedAt }, machine, figures), render(figures, { refused, lost, followerFailures, ok }));
  say(`POST /v1/runs p99 ${post.p99} ms, API RSS max ${rssMaxMiB} MiB, ${statuses.size}/${accepted.length} ended (${JSON.stringify(byStatus)}); ${file}`);
  if (!ok) {
    say(`FAILED: ${lost.length} lost, ${refused.length} refused, ${followerFailures.length} followers without their log, ${accepted.length - (byStatus.succeeded ?? 0)} not succeeded`);
    process.exitCode = 1;
  }
} finally {
  clearInterval(rssTimer);
  await stack.close();
}

interface FollowResult {
  runId: string;
  lines: number;
  /** The stream said the log ended (the run is over). */
  ended: boolean;
  error?: string;
}

/** Follows a run's log over SSE until its end event, as `slipway logs -f` does. */
async function follow(url: string, runId: string): Promise<FollowResult> {
  const result: FollowResult = { runId, lines: 0, ended: false };
  try {
    const res = await apiFetch(`${url}/v1/runs/${runId}/logs?follow=1`, { headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(load.budgetMs) });
    if (!res.ok || !res.body) return { ...result, error: `GET logs answered ${res.status}` };
    const parser = new SseParser();
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      for (const event of parser.push(decoder.decode(chunk as Uint8Array, { stream: true }))) {
        if (event.type === 'log') result.lines++;
        if (event.type === 'end') return { ...result, ended: true };
      }
    }
    return result;
  } catch (err) {
    return { ...result, error: (err as Error).message };
  }
}

async function runStatus(url: string, id: string): Promise<string | undefined> {
  const res = await apiFetch(`${url}/v1/runs/${id}`).catch(() => undefined);
  if (!res?.ok) return undefined;
  return ((await res.json()) as { status?: string }).status;
}

async function inBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return out;
}

/** The API process's resident set (VmRSS), 0 when it cannot be read. */
async function apiRssKiB(pid: number | undefined): Promise<number> {
  if (!pid) return 0;
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
}

function round(s: Summary): Summary {
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.n, min: r(s.min), p50: r(s.p50), p90: r(s.p90), p99: r(s.p99), max: r(s.max), mean: r(s.mean) };
}

function render(f: Record<string, unknown> & { postRunsMs: { p50: number; p99: number; max: number } }, details: { refused: string[]; lost: string[]; followerFailures: string[]; ok: boolean }): string {
  const list = (title: string, items: string[]) => (items.length ? [``, `${title}:`, ...items.slice(0, 20).map((i) => `- ${i}`)] : []);
  return [
    '# Load',
    '',
    `Run ${opts.runId} at commit ${machine.commit}${machine.dirty ? ' (uncommitted changes)' : ''}, on ${machine.cpus} × ${machine.cpuModel}, load average at start ${machine.loadAverage.join(' ')}, ending ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}.`,
    `${f.clients} clients submitted ${f.builds} builds (a one-line Dockerfile, not pushed) over ${f.durationS} s to one API and one worker (${load.workerConcurrency} builds at once), with ${f.followers} log followers attached.`,
    '',
    '| measure | result | target |',
    '|---|---:|---:|',
    `| runs accepted | ${f.accepted} of ${f.builds} | all |`,
    `| runs ended (terminal) | ${f.terminal} of ${f.accepted} | all |`,
    `| runs lost | ${f.lost} | 0 |`,
    `| by status | ${Object.entries(f.byStatus as Record<string, number>).map(([s, n]) => `${s} ${n}`).join(', ')} | all succeeded |`,
    `| POST /v1/runs p50 / p99 / max | ${f.postRunsMs.p50} / ${f.postRunsMs.p99} / ${f.postRunsMs.max} ms | p99 ≤ ${f.postTargetP99Ms} ms |`,
    `| API RSS max (at start) | ${f.apiRssMaxMiB} MiB (${f.apiRssAtStartMiB} MiB) | < ${f.rssTargetMiB} MiB |`,
    `| followers without their whole log | ${f.followerFailures} | 0 |`,
    `| first submission to every run ended | ${f.allEndedS} s | |`,
    '',
    details.ok ? 'Every accepted run ended and succeeded; none was lost.' : '**Not every run ended well: see below.**',
    ...list('Refused', details.refused),
    ...list('Not ended within the budget', details.lost),
    ...list('Followers', details.followerFailures),
    '',
  ].join('\n');
}
