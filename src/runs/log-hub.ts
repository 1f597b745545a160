// Wakes the followers of live logs, for every run an API process streams, through one blocking Redis
// connection: one XREAD waits on the streams of all followed runs at once, and each follower waiting on a
// stream is woken when an entry lands past the point it has read. Followers read the entries themselves
// (XRANGE, at their own pace), so the hub holds no log data: a follower that reads slowly costs its own
// batch and nothing else, and never holds up the others. A connection per follower (as before) let a few
// hundred followers take as many connections from Redis.
import type { Redis } from 'ioredis';

/** How long one XREAD waits: a bound on how late a new follower's stream can join it, should waking it fail. */
const BLOCK_MS = 5000;
/** Attempts to interrupt an XREAD that has not reached Redis yet (CLIENT UNBLOCK answers 0 until it has). */
const UNBLOCK_TRIES = 200;
const UNBLOCK_RETRY_MS = 10;

interface Waiter {
  /** The last entry id the follower has; it wants any after it. */
  after: string;
  wake: (woken: boolean) => void;
}

export class LogHub {
  /** Stream key → followers waiting on it. */
  private readonly waiters = new Map<string, Set<Waiter>>();
  private blocking: Redis | undefined;
  /** The blocking connection's CLIENT ID, for CLIENT UNBLOCK; unknown until read after each (re)connect. */
  private blockingId: number | undefined;
  /** Stream key → the id the XREAD under way reads after; undefined while none is. */
  private inFlight: Map<string, string> | undefined;
  /** A follower waits on something the XREAD under way does not cover. */
  private stale = false;
  private interrupting = false;
  private loop: Promise<void> | undefined;
  private closed = false;

  constructor(
    /** The process's command connection: CLIENT UNBLOCK is sent on it, never on the blocked one. */
    private readonly redis: Redis,
    private readonly connectionName = 'slipway-api-log-hub',
  ) {}

  /**
   * Resolves true once the stream `key` has an entry after `afterId` ('-': any), false after `ms` without
   * one, or when `signal` aborts. It may resolve true early (spuriously): the caller reads and finds out.
   */
  waitForEntries(key: string, afterId: string, ms: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.closed || signal?.aborted) return resolve(false);
      const set = this.waiters.get(key) ?? new Set<Waiter>();
      this.waiters.set(key, set);
      const onAbort = () => waiter.wake(false);
      const timer = setTimeout(() => waiter.wake(false), ms);
      const waiter: Waiter = {
        after: afterId === '-' ? '0-0' : afterId,
        wake: (woken) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          set.delete(waiter);
          if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
          resolve(woken);
        },
      };
      set.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.cover(key, waiter.after);
    });
  }

  /** Makes sure the blocking read includes `key` from `after` on: starts it, or interrupts it to widen it. */
  private cover(key: string, after: string): void {
    this.start();
    const reading = this.inFlight?.get(key);
    if (this.inFlight && (reading === undefined || compareIds(after, reading) < 0)) {
      this.stale = true;
      void this.interrupt();
    }
  }

  private start(): void {
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
      // A follower that came as the loop was ending.
      if (this.waiters.size > 0 && !this.closed) this.start();
    });
  }

  private async run(): Promise<void> {
    const conn = (this.blocking ??= this.connect());
    while (!this.closed && this.waiters.size > 0) {
      let rows: [string, [string, string[]][]][] | null;
      try {
        this.blockingId ??= Number(await conn.client('ID'));
        if (this.waiters.size === 0) break;
        // From here to the XREAD nothing awaits: a follower that comes later finds inFlight and widens the read.
        this.stale = false;
        const streams = this.streams();
        this.inFlight = streams;
        rows = await conn.xread('COUNT', 1, 'BLOCK', BLOCK_MS, 'STREAMS', ...streams.keys(), ...streams.values());
      } catch {
        if (this.closed) return;
        // Redis away: the followers' own timers keep them going (keep-alives) until it is back.
        await new Promise((r) => setTimeout(r, 250));
        continue;
      } finally {
        this.inFlight = undefined;
      }
      // COUNT 1: the first entry past the earliest follower's point; later followers are woken by a later read.
      for (const [key, entries] of rows ?? []) {
        const first = entries[0]?.[0];
        if (first === undefined) continue;
        for (const w of [...(this.waiters.get(key) ?? [])]) if (compareIds(w.after, first) < 0) w.wake(true);
      }
    }
  }

  /** Each followed stream, read after the earliest point any of its followers waits at. */
  private streams(): Map<string, string> {
    const streams = new Map<string, string>();
    for (const [key, set] of this.waiters) {
      for (const w of set) if (!streams.has(key) || compareIds(w.after, streams.get(key)!) < 0) streams.set(key, w.after);
    }
    return streams;
  }

  private connect(): Redis {
    const conn = this.redis.duplicate({ connectionName: this.connectionName, enableReadyCheck: false });
    // A new connection has a new id; a stale one would unblock some other client.
    conn.on('close', () => (this.blockingId = undefined));
    // Its failures reach the loop as failed reads, which wait and try again.
    conn.on('error', () => undefined);
    return conn;
  }

  /** Ends the XREAD under way so the loop reads again with every waiting follower's stream. */
  private async interrupt(): Promise<void> {
    if (this.interrupting) return;
    this.interrupting = true;
    try {
      for (let i = 0; this.stale && !this.closed && i < UNBLOCK_TRIES; i++) {
        const id = this.blockingId;
        if (this.inFlight && id !== undefined) await this.redis.client('UNBLOCK', id).catch(() => undefined);
        await new Promise((r) => setTimeout(r, UNBLOCK_RETRY_MS));
      }
    } finally {
      this.interrupting = false;
    }
  }

  /** Wakes every follower (false: nothing new) and closes the blocking connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const w of [...set]) w.wake(false);
    this.blocking?.disconnect();
    await this.loop?.catch(() => undefined);
  }
}

/** Orders stream ids (`ms-seq`) as Redis does. */
export function compareIds(a: string, b: string): number {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  const ms = BigInt(am!) - BigInt(bm!);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}
