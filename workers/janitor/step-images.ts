// Images pulled for task-file cmd steps carry no run label: the Engine keeps them, under the step's name and
// the digest it ran, long after the run. So each pull is recorded in Redis, per Engine, with when a step last
// used the name; the janitor removes the names no step of this deployment used for the setting's time. A
// name of an image some container (a running step, a kept one) was made from stays recorded and is tried
// again next pass: the Engine would refuse its last name, but let one of several go from under the step.
// The Engine deletes an image with its last name. Another deployment's names are in its own records.
import type { Redis } from 'ioredis';
import { SlipwayKeys } from '../../src/store/keys.js';
import type { EngineStorage } from '../builder/engine-storage.js';

/** Forgets a name only if no step used it since the janitor read it: a step pulling it meanwhile keeps it recorded. */
const FORGET_IF_UNUSED = `
local used = redis.call('ZSCORE', KEYS[1], ARGV[1])
if used and tonumber(used) <= tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0`;

/** The record of the step images this deployment pulled on each Engine (Redis). */
export class StepImageLedger {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  /** A step used these names on the Engine now. */
  async used(engine: string, names: readonly string[], at = Date.now()): Promise<void> {
    if (names.length) await this.redis.zadd(this.keys.stepImages(engine), ...names.flatMap((n) => [at, n]));
  }

  /** The names no step used since `before` (ms), oldest first. */
  unusedSince(engine: string, before: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.stepImages(engine), '-inf', before);
  }

  async forget(engine: string, name: string, before: number): Promise<void> {
    await this.redis.eval(FORGET_IF_UNUSED, 1, this.keys.stepImages(engine), name, before);
  }
}

/** Removes the step image names unused for `maxAgeMs` from the Engine; resolves with how many went. */
export async function removeUnusedStepImages(storage: EngineStorage, ledger: StepImageLedger, maxAgeMs: number, now = Date.now()): Promise<number> {
  const engine = await storage.engineId();
  const before = now - maxAgeMs;
  let removed = 0;
  for (const name of await ledger.unusedSince(engine, before)) {
    if (await storage.imageInUse(name)) continue;
    const outcome = await storage.removeImage(name);
    if (outcome === 'refused') continue;
    if (outcome === 'removed') removed++;
    await ledger.forget(engine, name, before);
  }
  return removed;
}
