// Publishing an event to the hooks that ask for it: publishEvent() finds the matching hooks, records one
// delivery for each (its body fixed now, so every attempt and redelivery sends the same bytes) and queues its
// sending on the `hooks` queue, which the API's HookDispatcher works through. It needs only Redis, so any
// process can call it: the API for run finishes (run-events.ts), the quarantine code for `image.quarantined`.
// Sending never happens here: a slow or dead receiver delays nobody who publishes.
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { HookEventType } from '../contract/hooks.js';
import { matchesAny } from '../auth/scopes.js';
import { HookStore, type HookRecord } from './store.js';

export const HOOKS_QUEUE = 'hooks';
export const DELIVER_JOB = 'deliver';
/** Attempts per delivery; with the dispatcher's doubling delays (10 s first, by default) the last is ~23 h after the first. */
export const DELIVERY_ATTEMPTS = 14;

export interface HookEvent {
  /**
   * Names the event once: publishing the same id twice (a finish handled again after a crash) delivers it
   * once per hook. E.g. `run-ca12-run.succeeded`, `quarantine-<digest>`.
   */
  id: string;
  type: HookEventType;
  /** The task it concerns, matched against hooks' task patterns; none for an ad-hoc build. */
  task?: string;
  /** The payload's `data`: the run, the image; whatever a receiver needs. Never secrets. */
  data: Record<string, unknown>;
  /** When it happened; default now. */
  at?: Date;
}

/** The job that sends a delivery; its id names the delivery and its redelivery count. */
export interface DeliverJob {
  hook: string;
  delivery: string;
}

/** Whether a hook asks for this event. A hook with task patterns gets only its tasks' events. */
export function hookWants(hook: Pick<HookRecord, 'events' | 'tasks'>, event: Pick<HookEvent, 'type' | 'task'>): boolean {
  if (!hook.events.includes(event.type)) return false;
  if (hook.tasks.length === 0) return true;
  return event.task !== undefined && matchesAny(hook.tasks, event.task);
}

/** A delivery's id: a UUID made from the event and the hook, so an event published twice is one delivery. */
export function deliveryId(eventId: string, hook: string): string {
  const h = createHash('sha256').update(`${eventId}\n${hook}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** BullMQ refuses ids with `:`; a UUID has none. */
export const deliverJobId = (delivery: string, redeliveries: number) => `${delivery}.${redeliveries}`;

export const DELIVER_JOB_OPTIONS = {
  attempts: DELIVERY_ATTEMPTS,
  backoff: { type: 'hook' },
  // The delivery record keeps the outcome; a finished job is only its id.
  removeOnComplete: true,
  removeOnFail: true,
} as const;

const queues = new WeakMap<Redis, Map<string, Queue>>();

/** The hooks queue on `redis` under `prefix`, made once per connection and prefix. */
export function hooksQueue(redis: Redis, prefix: string): Queue {
  let byPrefix = queues.get(redis);
  if (!byPrefix) queues.set(redis, (byPrefix = new Map()));
  let queue = byPrefix.get(prefix);
  if (!queue) byPrefix.set(prefix, (queue = new Queue(HOOKS_QUEUE, { connection: redis, prefix })));
  return queue;
}

/** Queues `event` for every hook that wants it; resolves once the deliveries are recorded and queued. */
export async function publishEvent(redis: Redis, prefix: string, event: HookEvent): Promise<void> {
  const store = new HookStore(redis, prefix);
  const at = (event.at ?? new Date()).toISOString();
  // A hook hears of what happens after it was made, not of finishes still in the stream from before.
  const hooks = (await store.list()).filter((hook) => hookWants(hook, event) && hook.createdAt <= at);
  if (hooks.length === 0) return;
  const body = JSON.stringify({ event: event.type, at, ...(event.task ? { task: event.task } : {}), data: event.data });
  for (const hook of hooks) {
    const id = deliveryId(event.id, hook.name);
    const fresh = await store.addDelivery({ id, hook: hook.name, event: event.type, createdAt: at, state: 'pending', redeliveries: 0, attempts: [], body });
    // Recorded earlier by a publish that died before queueing, or queued already: the job id tells them apart.
    if (fresh || (await store.delivery(hook.name, id))?.attempts.length === 0) {
      await hooksQueue(redis, prefix).add(DELIVER_JOB, { hook: hook.name, delivery: id } satisfies DeliverJob, { jobId: deliverJobId(id, 0), ...DELIVER_JOB_OPTIONS });
    }
  }
}
