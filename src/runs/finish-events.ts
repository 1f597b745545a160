// Finished runs as durable events: every run that ends is appended to a Redis stream, and each part of the
// API that acts on finishes (task follow-ups, the base-image graph) reads it as a consumer group, with every
// API instance a consumer in it. A group remembers what it has read and each entry goes to one consumer
// of the group, so a finish is handled once per group, and none is lost while no API instance runs: the
// group reads on from where it stopped. An entry is acknowledged once handled; one whose consumer died
// before that is claimed by another after CLAIM_IDLE_MS. (Pub/sub, which this replaces, loses every
// message nobody is subscribed to at that moment, and needed periodic sweeps to repair that.)
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { SlipwayKeys } from '../store/keys.js';

/** Entries kept in the stream; far more than can end while every API instance is down for a while. */
const MAX_ENTRIES = 100_000;
const BATCH = 100;
/** How long a read blocks before the reader looks again for entries abandoned by a dead consumer. */
const BLOCK_MS = 5_000;
/** An entry read but not acknowledged for this long was read by a consumer that died (or failed it): retried. */
const CLAIM_IDLE_MS = 30_000;

/** Appends a finished run to the stream; RunService's `announceFinished`. */
export function finishPublisher(redis: Redis, prefix: string): (runId: string) => Promise<void> {
  const stream = new SlipwayKeys(prefix).runsFinished;
  return async (runId) => {
    await redis.xadd(stream, 'MAXLEN', '~', MAX_ENTRIES, '*', 'run', runId);
  };
}

export interface FinishConsumerOptions {
  /** The group: one per part that acts on finishes; each of its entries is handled once in the group. */
  group: string;
  /** This consumer's name in the group; by default one of its own per process. */
  consumer?: string;
  /**
   * Where a group made now starts: `start`, every finish still in the stream (parts that must act on each);
   * `new`, finishes from now on (counting, which must not count a deployment's history again). Default start.
   */
  from?: 'start' | 'new';
  blockMs?: number;
  claimIdleMs?: number;
}

/** Reads the finished-run stream as one consumer of a group, handing each run id to `handle`. */
export class FinishConsumer {
  private reader: Redis | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private readonly stream: string;
  private readonly consumer: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly handle: (runId: string) => Promise<void>,
    private readonly log: Logger,
    private readonly opts: FinishConsumerOptions,
  ) {
    this.stream = new SlipwayKeys(prefix).runsFinished;
    this.consumer = opts.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  /** Joins the group (made on first use, reading from where `from` says) and begins reading. */
  async start(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.stream, this.opts.group, this.opts.from === 'new' ? '$' : '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
    }
    // Blocking reads hold their connection: they get one of their own.
    this.reader = this.redis.duplicate();
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let lastClaim = 0;
    // Entries this consumer name read before and never acknowledged come first.
    let cursor = '0';
    while (!this.stopping) {
      try {
        if (Date.now() - lastClaim >= (this.opts.claimIdleMs ?? CLAIM_IDLE_MS) / 2) {
          lastClaim = Date.now();
          await this.claimAbandoned();
        }
        const res = (await this.reader!.xreadgroup(
          'GROUP',
          this.opts.group,
          this.consumer,
          'COUNT',
          BATCH,
          'BLOCK',
          this.opts.blockMs ?? BLOCK_MS,
          'STREAMS',
          this.stream,
          cursor,
        )) as [string, [string, string[]][]][] | null;
        const entries = res?.[0]?.[1] ?? [];
        // Once our own backlog is read through, read what no consumer of the group has seen.
        if (cursor === '0' && entries.length === 0) cursor = '>';
        await this.handleAll(entries);
      } catch (err) {
        if (this.stopping) return;
        this.log.error({ err, group: this.opts.group }, 'reading finished runs failed');
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
  }

  private async claimAbandoned(): Promise<void> {
    let start = '0-0';
    do {
      const [next, entries] = (await this.redis.xautoclaim(this.stream, this.opts.group, this.consumer, this.opts.claimIdleMs ?? CLAIM_IDLE_MS, start, 'COUNT', BATCH)) as [string, [string, string[]][]];
      await this.handleAll(entries);
      start = next;
    } while (start !== '0-0' && !this.stopping);
  }

  private async handleAll(entries: [string, string[] | null][]): Promise<void> {
    for (const [id, fields] of entries) {
      // An entry trimmed from the stream while pending comes back without fields: nothing left to do.
      const runId = fields ? fields[fields.indexOf('run') + 1] : undefined;
      try {
        if (runId) await this.handle(runId);
        await this.redis.xack(this.stream, this.opts.group, id);
      } catch (err) {
        // Left unacknowledged: retried once it has been idle for the claim time.
        this.log.error({ err, runId, group: this.opts.group }, 'handling a finished run failed');
      }
    }
  }

  /** Stops reading; an entry being handled is finished first. Idempotent. */
  stop(): Promise<void> {
    return (this.stopped ??= (async () => {
      this.stopping = true;
      this.reader?.disconnect();
      await this.loop;
      // Each process joins under a name of its own: leave the group unless entries wait on this name (they
      // would go with it; left, another consumer claims them).
      if (this.loop && !this.opts.consumer) {
        const pending = (await this.redis.xpending(this.stream, this.opts.group, '-', '+', 1, this.consumer).catch(() => [1])) as unknown[];
        if (pending.length === 0) await this.redis.xgroup('DELCONSUMER', this.stream, this.opts.group, this.consumer).catch(() => undefined);
      }
    })());
  }
}
