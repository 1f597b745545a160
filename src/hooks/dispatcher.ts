// Sends queued deliveries (the `hooks` queue), in the API process: each job is one delivery, retried by
// BullMQ with doubling delays (firstRetryMs, 2×, 4×… for DELIVERY_ATTEMPTS attempts) until the receiver
// answers 2xx, or after the time its Retry-After asked for. Every attempt is recorded on the delivery. A hook
// deleted meanwhile, a URL the host policy now refuses, or a receiver refusing with a 4xx (send.ts) ends the
// delivery without more tries.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { Keyring } from '../secrets/sealed.js';
import { DELIVERY_ATTEMPTS, HOOKS_QUEUE, type DeliverJob } from './events.js';
import { sendDelivery } from './send.js';
import { HookStore, secretContext } from './store.js';
import type { HookUrlPolicy } from './url-policy.js';

/** Deliveries sent at once per API instance: receivers are slow, not our CPU. */
const CONCURRENCY = 16;

export interface DispatcherOptions {
  policy: HookUrlPolicy;
  /** The delay before the first retry; each later one doubles it. */
  firstRetryMs: number;
  userAgent: string;
  /** Hears each attempt's outcome (metrics). */
  attempted?: (result: 'delivered' | 'retrying' | 'failed') => void;
}

/** The delay before retry `attemptsMade` (1 = the first retry). */
export const retryDelay = (firstRetryMs: number, attemptsMade: number) => firstRetryMs * 2 ** Math.max(0, attemptsMade - 1);

/** A failed attempt to try again after the delay the receiver asked for, rather than the usual one. */
class RetryAfter extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryAfter';
  }
}

export class HookDispatcher {
  private worker: Worker | undefined;
  private connection: Redis | undefined;
  private readonly store: HookStore;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly keyring: Keyring,
    private readonly log: Logger,
    private readonly opts: DispatcherOptions,
  ) {
    this.store = new HookStore(redis, prefix);
  }

  start(): void {
    this.connection = this.redis.duplicate({ maxRetriesPerRequest: null });
    this.worker = new Worker(HOOKS_QUEUE, (job: Job<DeliverJob>) => this.deliver(job), {
      connection: this.connection,
      prefix: this.prefix,
      concurrency: CONCURRENCY,
      settings: { backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) => (err instanceof RetryAfter ? err.delayMs : retryDelay(this.opts.firstRetryMs, attemptsMade)) },
    });
    this.worker.on('error', (err) => this.log.error({ err }, 'hook dispatcher'));
  }

  private async deliver(job: Job<DeliverJob>): Promise<string> {
    const { hook: name, delivery: id } = job.data;
    const [hook, delivery] = await Promise.all([this.store.get(name), this.store.delivery(name, id)]);
    if (!hook || !delivery) return 'gone';
    const result = await sendDelivery(
      { url: hook.url, secret: this.keyring.open(hook.secret, secretContext(name)), deliveryId: id, event: delivery.event, body: delivery.body },
      this.opts.policy,
      this.opts.userAgent,
    );
    const attempt = { at: new Date().toISOString(), durationMs: result.durationMs, ...(result.status !== undefined ? { status: result.status } : {}), ...(result.error ? { error: result.error } : {}) };
    const last = result.refused || job.attemptsMade + 1 >= (job.opts.attempts ?? DELIVERY_ATTEMPTS);
    const state = result.ok ? 'delivered' : last ? 'failed' : 'pending';
    const nextDelayMs = result.retryAfterMs ?? retryDelay(this.opts.firstRetryMs, job.attemptsMade + 1);
    await this.store.updateDelivery(name, id, (d) => {
      const { nextAttemptAt: _, ...rest } = d;
      return {
        ...rest,
        state,
        attempts: [...d.attempts, attempt],
        ...(state === 'pending' ? { nextAttemptAt: new Date(Date.now() + nextDelayMs).toISOString() } : {}),
      };
    });
    this.opts.attempted?.(state === 'pending' ? 'retrying' : state);
    const fields = { hook: name, delivery: id, event: delivery.event, status: result.status, error: result.error, attempt: job.attemptsMade + 1 };
    if (result.ok) {
      this.log.info(fields, 'hook delivered');
      return 'delivered';
    }
    this.log.warn(fields, last ? 'hook delivery failed for good' : 'hook delivery failed; retrying');
    const reason = result.error ?? `the receiver answered ${result.status}${result.refused ? ', a refusal: not retried' : ''}`;
    if (result.refused) throw new UnrecoverableError(reason);
    throw result.retryAfterMs !== undefined ? new RetryAfter(reason, result.retryAfterMs) : new Error(reason);
  }

  /** Stops taking deliveries; one being sent finishes first. Idempotent. */
  async close(): Promise<void> {
    await this.worker?.close();
    this.connection?.disconnect();
  }
}
