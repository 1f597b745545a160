// The Slipway side of the comparison: one `slipway build` process timed from spawn to exit, every line it
// prints stamped on arrival, then the run record (createdAt, startedAt, finishedAt) and the log's stream
// entry ids (Redis stream ids: the millisecond each batch of lines was appended) read back from the API,
// so that the wall time splits into consecutive phases on the one machine clock.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { SseParser } from '../../src/cli/sse.js';
import { apiFetch } from '../../test/support/api.js';

export interface CliVariant {
  name: string;
  /** The program and its arguments before the CLI's own, e.g. [node, '--import', 'tsx', 'src/cli/main.ts']. */
  command: string[];
}

export interface StampedLine {
  /** ms since the process was spawned */
  at: number;
  stream: 'out' | 'err';
  text: string;
}

export interface CliRun {
  code: number | null;
  totalMs: number;
  /** epoch ms at spawn */
  spawnedAt: number;
  lines: StampedLine[];
}

const now = () => performance.timeOrigin + performance.now();

export async function runCli(variant: CliVariant, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliRun> {
  const spawnedAt = now();
  const [program, ...before] = variant.command;
  const child = spawn(program!, [...before, ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: StampedLine[] = [];
  const collect = (stream: 'out' | 'err') => (text: string) => lines.push({ at: now() - spawnedAt, stream, text });
  readline.createInterface({ input: child.stdout }).on('line', collect('out'));
  readline.createInterface({ input: child.stderr }).on('line', collect('err'));
  const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('close', (c) => resolve(c)));
  return { code, totalMs: now() - spawnedAt, spawnedAt, lines };
}

export interface LogEntry {
  /** epoch ms of the Redis stream id: when the line's batch was appended */
  at: number;
  text: string;
}

/** The whole log of a finished run with each entry's append time, replayed from the SSE endpoint. */
export async function readStampedLog(server: string, runId: string): Promise<{ entries: LogEntry[]; endAt: number | undefined }> {
  const res = await apiFetch(`${server}/v1/runs/${runId}/logs?follow=1`, { headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(15_000) });
  if (!res.ok || !res.body) throw new Error(`GET logs of ${runId}: ${res.status}`);
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const entries: LogEntry[] = [];
  const stamp = (id: string) => Number(id.split('-')[0]);
  for await (const chunk of res.body) {
    for (const event of parser.push(decoder.decode(chunk as Uint8Array, { stream: true }))) {
      if (event.type === 'log') entries.push({ at: stamp(event.lastEventId), text: event.data });
      if (event.type === 'end') return { entries, endAt: event.lastEventId ? stamp(event.lastEventId) : undefined };
    }
  }
  return { entries, endAt: undefined };
}

export interface RunRecord {
  id: string;
  status: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  [key: string]: unknown;
}

export async function readRun(server: string, runId: string): Promise<RunRecord> {
  const res = await apiFetch(`${server}/v1/runs/${runId}`);
  if (!res.ok) throw new Error(`GET run ${runId}: ${res.status}`);
  return (await res.json()) as RunRecord;
}

/**
 * Consecutive phases of one `slipway build`, in ms; they add up to the CLI's wall time. Marks that
 * could not be found leave their phase null (and the next phase absorbs the time).
 */
export interface SlipwayPhases {
  /** node start, module loading, argument parsing: spawn → "Packing build context" */
  cliStartup: number | null;
  /** → "Context: …": the walk and, for an unchanged folder, the cache lookup and HEAD; else packing streamed into the upload */
  pack: number | null;
  /** POST /v1/runs up to the API stamping createdAt (and the upload, for a context larger than the CLI streams) */
  uploadSubmit: number | null;
  /** createdAt → startedAt: queue, job dispatch, sandboxed child, run start transition */
  queue: number | null;
  /** startedAt → BuildKit's first log line: the Dockerfile read and base digests resolved, the stored context streamed to the Engine, BuildKit starts */
  prepare: number | null;
  /** BuildKit's first line → "slipway: pushing" (log lines are appended in batches: ±50 ms) */
  build: number | null;
  /** "slipway: pushing" → the last "slipway: pushed" */
  push: number | null;
  /** last log line → finishedAt: flush, final transition */
  record: number | null;
  /** finishedAt → the CLI prints the outcome: end event over SSE, GET of the run */
  followEnd: number | null;
  /** outcome printed → process exit */
  exit: number | null;
}

export interface SlipwayMeasurement {
  runId: string | undefined;
  code: number | null;
  totalMs: number;
  phases: SlipwayPhases;
  /** How long a log line took from its append in Redis to being printed by the CLI (median over lines). */
  logLagMs: number | null;
  uploaded: boolean;
  error?: string;
}

export async function measureSlipwayBuild(variant: CliVariant, server: string, contextDir: string, image: string, cwd: string, env?: NodeJS.ProcessEnv): Promise<SlipwayMeasurement> {
  const cli = await runCli(variant, ['build', contextDir, '-t', image, '--server', server], { cwd, env });
  const find = (re: RegExp, stream?: 'out' | 'err') => cli.lines.find((l) => (!stream || l.stream === stream) && re.test(l.text));
  const runId = find(/^Run ID: /)?.text.slice('Run ID: '.length).trim();
  const uploaded = find(/^(Uploaded|Uploading)/) !== undefined;
  const base: Omit<SlipwayMeasurement, 'phases' | 'logLagMs'> = { runId, code: cli.code, totalMs: cli.totalMs, uploaded };
  if (cli.code !== 0) {
    const tail = cli.lines.slice(-15).map((l) => l.text).join('\n');
    return { ...base, phases: emptyPhases(), logLagMs: null, error: `slipway build exited ${cli.code}:\n${tail}` };
  }
  const run = runId ? await readRun(server, runId) : undefined;
  const log = runId ? await readStampedLog(server, runId) : { entries: [], endAt: undefined };
  const rel = (epochMs: number | undefined) => (epochMs === undefined || Number.isNaN(epochMs) ? undefined : epochMs - cli.spawnedAt);
  const logAt = (re: RegExp, last = false) => {
    const hits = log.entries.filter((e) => re.test(e.text));
    return rel((last ? hits[hits.length - 1] : hits[0])?.at);
  };
  const lastLine = log.entries.length ? rel(log.entries[log.entries.length - 1]!.at) : undefined;
  const marks: (number | undefined)[] = [
    0,
    find(/^Packing build context/)?.at,
    find(/^Context: /)?.at,
    rel(run?.createdAt ? Date.parse(run.createdAt) : undefined),
    rel(run?.startedAt ? Date.parse(run.startedAt) : undefined),
    logAt(/^#\d+ /),
    logAt(/^slipway: pushing /),
    logAt(/^slipway: pushed /, true) ?? lastLine,
    rel(run?.finishedAt ? Date.parse(run.finishedAt) : undefined),
    find(/^Run \S+ succeeded/)?.at,
    cli.totalMs,
  ];
  const names: (keyof SlipwayPhases)[] = ['cliStartup', 'pack', 'uploadSubmit', 'queue', 'prepare', 'build', 'push', 'record', 'followEnd', 'exit'];
  const phases = emptyPhases();
  let previous = 0;
  names.forEach((name, i) => {
    const end = marks[i + 1];
    if (end === undefined) return;
    phases[name] = Math.round(end - previous);
    previous = end;
  });
  return { ...base, phases, logLagMs: logLag(cli.lines, log.entries, cli.spawnedAt) };
}

function emptyPhases(): SlipwayPhases {
  return { cliStartup: null, pack: null, uploadSubmit: null, queue: null, prepare: null, build: null, push: null, record: null, followEnd: null, exit: null };
}

/** Pairs the CLI's printed log lines with the stream entries, in order, and takes the median delay. */
function logLag(lines: StampedLine[], entries: LogEntry[], spawnedAt: number): number | null {
  const printed = lines.filter((l) => l.stream === 'out');
  const lags: number[] = [];
  let j = 0;
  for (const entry of entries) {
    while (j < printed.length && printed[j]!.text !== entry.text) j++;
    if (j >= printed.length) break;
    lags.push(printed[j]!.at + spawnedAt - entry.at);
    j++;
  }
  if (lags.length === 0) return null;
  lags.sort((a, b) => a - b);
  return Math.round(lags[Math.floor(lags.length / 2)]!);
}
