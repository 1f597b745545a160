// The workers' own queues (cache affinity, affinity.ts), recorded in Redis so that the queues of a worker that
// died without retiring them (kill -9, an OOM kill, a lost host) are retired for it. A worker that stops hands
// its waiting runs to the shared queue and removes its queues' keys itself (handoff.ts retireQueue); one that
// is killed cannot, and each crash would leave a BullMQ queue's keys in Redis for good. The API's sweep
// (periodic.ts, one pass per deployment) does what the dead worker did not.
import type { Redis } from 'ioredis';
import * as z from 'zod';
import { SlipwayKeys } from '../store/keys.js';
import { STALE_MS, type WorkerRegistry } from './worker-registry.js';

/** Often enough that a dead worker's queues go soon after it is known dead; each pass is one HGETALL when none is. */
export const OWN_QUEUES_SWEEP_EVERY_MS = STALE_MS;

/**
 * Silent this long, a worker is dead for its queues. Twice the stale limit: by then the watchdog has ended its
 * runs as lost (runs/watchdog.ts), and the hand-off jobs have long moved the runs routed to it, so retiring the
 * queue takes nothing from a worker that was only stalled and comes back (it records its queues again).
 */
export const RETIRE_AFTER_MS = 2 * STALE_MS;

export interface OwnQueue {
  queueName: string;
  worker: string;
  capability: string;
}

const Recorded = z.object({ worker: z.string(), capability: z.string() });

function readRecord(text: string): z.infer<typeof Recorded> | undefined {
  try {
    const parsed = Recorded.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export class OwnQueues {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  /** Worker side, with every heartbeat: a queue retired while its worker stalled is recorded again when it beats. */
  async record(queues: readonly OwnQueue[]): Promise<void> {
    if (!queues.length) return;
    await this.redis.hset(this.keys.ownQueues, Object.fromEntries(queues.map((q) => [q.queueName, JSON.stringify({ worker: q.worker, capability: q.capability })])));
  }

  async forget(queueNames: readonly string[]): Promise<void> {
    if (queueNames.length) await this.redis.hdel(this.keys.ownQueues, ...queueNames);
  }

  /** Every recorded queue; an entry that does not parse is forgotten, since no worker can have written it. */
  async list(): Promise<OwnQueue[]> {
    const entries = Object.entries(await this.redis.hgetall(this.keys.ownQueues));
    const queues: OwnQueue[] = [];
    const unreadable: string[] = [];
    for (const [queueName, text] of entries) {
      const recorded = readRecord(text);
      if (recorded) queues.push({ queueName, ...recorded });
      else unreadable.push(queueName);
    }
    await this.forget(unreadable);
    return queues;
  }
}

/** The sweep: retires the queues of workers silent for longer than RETIRE_AFTER_MS. */
export class OwnQueueSweep {
  constructor(
    private readonly queues: Pick<OwnQueues, 'list' | 'forget'>,
    private readonly workers: Pick<WorkerRegistry, 'lastSeen'>,
    /** Hands the queue's waiting runs on and removes its keys (handoff.ts retireQueue); safe to repeat. */
    private readonly retire: (queue: OwnQueue) => Promise<void>,
    private readonly retireAfterMs = RETIRE_AFTER_MS,
  ) {}

  /** One pass; resolves with the names of the queues it retired. */
  async sweep(now = Date.now()): Promise<string[]> {
    const retired: string[] = [];
    for (const queue of await this.queues.list()) {
      const seen = await this.workers.lastSeen(queue.worker, [queue.capability]);
      if (seen !== undefined && now - seen <= this.retireAfterMs) continue;
      await this.retire(queue);
      await this.queues.forget([queue.queueName]);
      retired.push(queue.queueName);
    }
    return retired;
  }
}
