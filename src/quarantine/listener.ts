// Hands every run that ends to the quarantine gate, as one consumer group across API instances: a
// quarantined image is recorded once, including one whose run ended while no API instance ran.
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { FinishConsumer } from '../runs/finish-events.js';
import type { Run } from '../runs/model.js';
import type { QuarantineGate } from './gate.js';

export const QUARANTINE_GROUP = 'quarantine';

export async function listenForQuarantined(redis: Redis, prefix: string, gate: QuarantineGate, getRun: (id: string) => Promise<Run | undefined>, log: Logger): Promise<FinishConsumer> {
  const consumer = new FinishConsumer(
    redis,
    prefix,
    async (id) => {
      const run = await getRun(id);
      if (run) await gate.runFinished(run);
    },
    log,
    { group: QUARANTINE_GROUP },
  );
  await consumer.start();
  return consumer;
}
