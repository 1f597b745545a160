// Run finishes as hook events: a consumer group of its own on the finished-run stream (runs/finish-events.ts),
// so hooks neither wait on nor delay the other readers, and a finish that arrives while no API runs is
// published when one starts. Only queueing happens here (publishEvent); sending is the dispatcher's.
import type { Redis } from 'ioredis';
import type { HookEventType } from '../contract/hooks.js';
import type { Logger } from '../log.js';
import { FinishConsumer } from '../runs/finish-events.js';
import type { Run } from '../runs/model.js';
import type { RunRecords } from '../runs/records.js';
import type { RunStatus } from '../runs/status.js';
import { publishEvent, type HookEvent } from './events.js';

const HOOKS_GROUP = 'hooks';

const RUN_EVENTS: Partial<Record<RunStatus, HookEventType>> = {
  succeeded: 'run.succeeded',
  failed: 'run.failed',
  error: 'run.errored',
  canceled: 'run.canceled',
  timeout: 'run.timeout',
};

/** The events a finished run makes: its outcome, and one `image.pushed` per image it pushed. */
export function runEvents(run: Run): HookEvent[] {
  const type = RUN_EVENTS[run.status];
  if (!type) return [];
  const at = run.finishedAt ? new Date(run.finishedAt) : new Date();
  const common = { ...(run.task ? { task: run.task } : {}), at };
  const events: HookEvent[] = [{ id: `run-${run.id}-${type}`, type, data: { run }, ...common }];
  if (run.status === 'succeeded') {
    for (const image of run.outputImages) {
      const name = `${image.registry}/${image.repository}:${image.tag}`;
      events.push({ id: `run-${run.id}-image.pushed-${name}`, type: 'image.pushed', data: { image: { name, ...image }, runId: run.id }, ...common });
    }
  }
  return events;
}

export class RunHookEvents {
  private consumer: FinishConsumer | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly runs: Pick<RunRecords, 'get'>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.consumer = new FinishConsumer(
      this.redis,
      this.prefix,
      async (id) => {
        const run = await this.runs.get(id);
        if (!run) return;
        for (const event of runEvents(run)) await publishEvent(this.redis, this.prefix, event);
      },
      this.log,
      { group: HOOKS_GROUP },
    );
    await this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }
}
