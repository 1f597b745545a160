// Turns the JSON message stream of Docker's BuildKit build API into the lines
// `docker build --progress=plain` prints, and remembers what a failed build's error message needs.
// The layout follows buildkit's util/progress/progressui plain printer.
import type { BuildFailure } from '../image-builder.js';
import { decodeStatusResponse, type StatusResponse, type Vertex, type VertexStatus } from './buildkit-status.js';


const FAILURE_OUTPUT_LINES = 20;
// buildx prints a still-running status only when it moved 5% or 5 s since it was last printed.
const MIN_PROGRESS_DELTA = 0.05;
const MIN_TIME_DELTA_MS = 5000;

interface Interval { start: number; stop?: number }

interface VertexState {
  digest: string;
  /** 0 until first printed: buildx numbers vertexes as they first show up in the output. */
  index: number;
  name: string;
  cached: boolean;
  error: string;
  last?: Vertex;
  intervals: Map<number, Interval>;
  pendingLogs: string[];
  /** Unfinished last line per output stream (1 stdout, 2 stderr). */
  partial: Map<number, { prefix: string; bytes: Buffer }>;
  recentOutput: string[];
  statusUpdates: Map<string, VertexStatus>;
  statusPrinted: Map<string, { current: number; timestamp: number }>;
  warnings: string[];
}

export class BuildProgress {
  private builtImageId: string | undefined;
  private streamError: string | undefined;
  private readonly vertexes = new Map<string, VertexState>();
  private nextIndex = 0;
  private current: VertexState | undefined;
  private printedAny = false;

  constructor(private readonly onLine: (line: string) => void) {}

  /** `sha256:…` from the `moby.image.id` message Docker sends once the image exists. */
  get imageId(): string | undefined {
    return this.builtImageId;
  }

  /** The stream-level error Docker ends a failed build with. */
  get error(): string | undefined {
    return this.streamError;
  }

  /** Takes one parsed JSON message of the build stream; unknown messages are ignored. */
  write(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const m = message as Record<string, unknown>;
    if (m.id === 'moby.buildkit.trace' && typeof m.aux === 'string') {
      let status: StatusResponse;
      try {
        status = decodeStatusResponse(Buffer.from(m.aux, 'base64'));
      } catch (err) {
        this.onLine(`WARN: ignored undecodable BuildKit status: ${(err as Error).message}`);
        return;
      }
      this.update(status);
    } else if (m.id === 'moby.image.id' && typeof m.aux === 'object' && m.aux !== null) {
      const id = (m.aux as Record<string, unknown>).ID;
      if (typeof id === 'string') this.builtImageId = id;
    } else if (typeof m.error === 'string') {
      const detail = m.errorDetail as Record<string, unknown> | undefined;
      this.streamError = typeof detail?.message === 'string' ? detail.message : m.error;
    }
  }

  /** Prints log lines still waiting for their newline. Call once the stream has ended. */
  finish(): void {
    for (const v of this.vertexes.values()) {
      if (v.partial.size === 0) continue;
      this.completeLines(v);
      this.print(v);
    }
  }

  failure(): BuildFailure | undefined {
    for (const v of this.vertexes.values()) {
      if (v.error && !isCanceled(v.error) && !isCacheImport(v.name)) return { step: v.name, error: v.error, output: [...v.recentOutput] };
    }
    if (this.streamError) return { step: '', error: this.streamError, output: [] };
    return undefined;
  }

  private update(status: StatusResponse): void {
    const updated = new Set<VertexState>();
    for (const vtx of status.vertexes) {
      const v = this.vertexFor(vtx.digest);
      if (vtx.started && hasChanged(v.last, vtx)) updated.add(v);
      // A repeated announcement without a start time must not undo a started vertex.
      if (!v.last || vtx.started) {
        v.name = vtx.name;
        v.cached = vtx.cached;
        v.error = vtx.error;
      }
      if (vtx.started) {
        v.last = vtx;
        v.intervals.set(vtx.started.getTime(), { start: vtx.started.getTime(), stop: vtx.completed?.getTime() });
      }
    }
    for (const s of status.statuses) {
      const v = this.vertexes.get(s.vertex);
      if (!v) continue;
      v.statusUpdates.set(s.id, s);
      updated.add(v);
    }
    for (const w of status.warnings) {
      const v = this.vertexes.get(w.vertex);
      if (!v) continue;
      v.warnings.push(w.short);
      updated.add(v);
    }
    for (const log of status.logs) {
      const v = this.vertexes.get(log.vertex);
      if (!v || log.msg.length === 0) continue;
      this.appendLog(v, log.stream, Buffer.from(log.msg), log.timestamp?.getTime() ?? Date.now());
      updated.add(v);
    }
    // Like buildx: finished vertexes first (the current one before the others), then running ones.
    const all = [...updated];
    const done = all.filter(isCompleted).sort((a, b) => rank(a, this.current) - rank(b, this.current) || stopOf(a) - stopOf(b));
    const running = all.filter((v) => !isCompleted(v)).sort((a, b) => rank(a, this.current) - rank(b, this.current));
    for (const v of [...done, ...running]) this.print(v);
  }

  private vertexFor(digest: string): VertexState {
    let v = this.vertexes.get(digest);
    if (!v) {
      v = {
        digest, index: 0, name: '', cached: false, error: '', intervals: new Map(), pendingLogs: [], partial: new Map(), recentOutput: [],
        statusUpdates: new Map(), statusPrinted: new Map(), warnings: [],
      };
      this.vertexes.set(digest, v);
    }
    return v;
  }

  // Log messages are arbitrary chunks of the process output: a line may span several of them,
  // so bytes (not strings, to keep split UTF-8 sequences intact) wait for their newline.
  // Unlike buildx, stdout and stderr wait separately, so a stderr line does not get glued
  // onto an unfinished stdout line.
  private appendLog(v: VertexState, stream: number, data: Buffer, timestamp: number): void {
    let rest = data;
    for (let nl = rest.indexOf(0x0a); nl !== -1; nl = rest.indexOf(0x0a)) {
      this.appendPartial(v, stream, rest.subarray(0, nl), timestamp);
      this.completeLine(v, stream);
      rest = rest.subarray(nl + 1);
    }
    if (rest.length > 0) this.appendPartial(v, stream, rest, timestamp);
  }

  private appendPartial(v: VertexState, stream: number, bytes: Buffer, timestamp: number): void {
    const partial = v.partial.get(stream);
    if (partial) partial.bytes = Buffer.concat([partial.bytes, bytes]);
    else v.partial.set(stream, { prefix: logPrefix(v, timestamp), bytes });
  }

  private completeLine(v: VertexState, stream: number): void {
    const partial = v.partial.get(stream);
    if (!partial) return;
    const text = partial.bytes.toString('utf8');
    v.pendingLogs.push(`${partial.prefix} ${text}`);
    v.recentOutput.push(text);
    if (v.recentOutput.length > FAILURE_OUTPUT_LINES) v.recentOutput.shift();
    v.partial.delete(stream);
  }

  private completeLines(v: VertexState): void {
    for (const stream of [...v.partial.keys()].sort((a, b) => a - b)) this.completeLine(v, stream);
  }

  private print(v: VertexState): void {
    if (v.index === 0) v.index = ++this.nextIndex;
    if (this.current !== v) {
      if (this.current) this.onLine(`#${this.current.index} ...`);
      if (this.printedAny) this.onLine('');
      this.printedAny = true;
      this.onLine(`#${v.index} ${v.name}`);
    }
    const openStatus = this.printStatuses(v);
    for (const w of v.warnings.splice(0)) this.onLine(`#${v.index} WARN: ${w}`);
    const completed = isCompleted(v) && !openStatus;
    if (completed) this.completeLines(v);
    for (const line of v.pendingLogs.splice(0)) this.onLine(`#${v.index} ${line}`);
    this.current = v;
    if (!completed) return;
    this.current = undefined;
    if (v.error) this.onLine(isCanceled(v.error) ? `#${v.index} CANCELED` : `#${v.index} ERROR: ${v.error}`);
    else if (v.cached) this.onLine(`#${v.index} CACHED`);
    else this.onLine(`#${v.index} DONE ${(busyMs(v) / 1000).toFixed(1)}s`);
  }

  /** Prints updated statuses such as `transferring context: 2.01kB 0.1s done`; true if one is still running. */
  private printStatuses(v: VertexState): boolean {
    let open = false;
    for (const s of v.statusUpdates.values()) {
      if (!s.started) continue;
      const timestamp = s.timestamp?.getTime() ?? 0;
      const last = v.statusPrinted.get(s.id);
      if (last && !s.completed) {
        const progress = s.total > 0 ? (s.current - last.current) / s.total : 0;
        if (progress < MIN_PROGRESS_DELTA && timestamp - last.timestamp < MIN_TIME_DELTA_MS) continue;
      }
      v.statusPrinted.set(s.id, { current: s.current, timestamp });
      let bytes = '';
      if (s.total !== 0) bytes = ` ${formatBytes(s.current)} / ${formatBytes(s.total)}`;
      else if (s.current !== 0) bytes = ` ${formatBytes(s.current)}`;
      const seconds = ((s.completed?.getTime() ?? timestamp) - s.started.getTime()) / 1000;
      let time = seconds > 0.01 ? ` ${seconds.toFixed(1)}s` : '';
      if (s.completed) time += ' done';
      else open = true;
      this.onLine(`#${v.index} ${s.id}${bytes}${time}`);
    }
    v.statusUpdates.clear();
    return open;
  }
}

// Mirrors buildx, which prints a vertex again only when one of these changed.
function hasChanged(last: Vertex | undefined, next: Vertex): boolean {
  if (!last) return true;
  return last.name !== next.name
    || last.started?.getTime() !== next.started?.getTime()
    || (next.completed !== undefined && last.completed?.getTime() !== next.completed.getTime())
    || last.cached !== next.cached
    || last.error !== next.error;
}

/**
 * BuildKit goes on without a --cache-from image it cannot import (not pushed yet, deleted, no inline cache):
 * the step shows its ERROR, the build still succeeds, as with `docker build`.
 */
function isCacheImport(name: string): boolean {
  return name.startsWith('importing cache manifest from ');
}

function isCanceled(error: string): boolean {
  return error.endsWith('context canceled');
}

function mostRecent(v: VertexState): Interval | undefined {
  let latest: Interval | undefined;
  for (const i of v.intervals.values()) if (!latest || i.start > latest.start) latest = i;
  return latest;
}

function isCompleted(v: VertexState): boolean {
  return mostRecent(v)?.stop !== undefined;
}

function stopOf(v: VertexState): number {
  return mostRecent(v)?.stop ?? Infinity;
}

function rank(v: VertexState, current: VertexState | undefined): number {
  return v === current ? 0 : 1;
}

/** Time the vertex actually ran: its intervals merged where they overlap, so repeats do not double count. */
function busyMs(v: VertexState): number {
  const sorted = [...v.intervals.values()].sort((a, b) => a.start - b.start);
  let total = 0;
  let end = -Infinity;
  for (const { start, stop = start } of sorted) {
    if (stop <= end) continue;
    total += stop - Math.max(start, end);
    end = stop;
  }
  return total;
}

/** Seconds since the vertex's latest start, with buildx's precision: 0.123, 12.34, 123.4. */
function logPrefix(v: VertexState, timestamp: number): string {
  const start = mostRecent(v)?.start;
  const seconds = start === undefined ? 0 : (timestamp - start) / 1000;
  return seconds.toFixed(seconds < 10 ? 3 : seconds < 100 ? 2 : 1);
}

/** Decimal units like github.com/tonistiigi/units: 37B, 2.01kB, 1.50MB. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let i = 0;
  let value = n;
  while (Math.abs(value) >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return i === 0 ? `${n}B` : `${value.toFixed(2)}${units[i]}`;
}
