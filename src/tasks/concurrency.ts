// One running run per task: a task's "active" slot holds the run that has it (or, for a moment, the trigger
// that is creating one), and triggers that arrive meanwhile collapse into one pending follow-up, newest wins.
import type { Redis } from 'ioredis';
import { SlipwayKeys } from '../store/keys.js';
import type { TaskSlotRecords } from './records.js';

const CLAIM = `local cur = redis.call('GET', KEYS[1]) if cur then return cur end redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return false`;
const REPLACE = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end if ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end return 1`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end return 0`;

/** A trigger in the middle of creating its run holds the slot at most this long. */
const CLAIM_SECONDS = 60;

/** The Redis adapter of TaskSlotRecords. */
export class TaskSlots implements TaskSlotRecords {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  private activeKey(task: string): string {
    return this.keys.taskActive(task);
  }
  private pending(task: string): string {
    return this.keys.taskPending(task);
  }

  /** Takes the free slot for `holder`; otherwise returns who holds it. */
  async claim(task: string, holder: string): Promise<string | undefined> {
    const cur = (await this.redis.eval(CLAIM, 1, this.activeKey(task), holder, CLAIM_SECONDS)) as string | null;
    return cur ?? undefined;
  }

  /** Hands the slot from `from` to `to` (a run id keeps it until released); false if `from` no longer holds it. */
  async replace(task: string, from: string, to: string, claimOnly = false): Promise<boolean> {
    return (await this.redis.eval(REPLACE, 1, this.activeKey(task), from, to, claimOnly ? CLAIM_SECONDS : 0)) === 1;
  }

  async release(task: string, holder: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, this.activeKey(task), holder)) === 1;
  }

  async holder(task: string): Promise<string | undefined> {
    return (await this.redis.get(this.activeKey(task))) ?? undefined;
  }

  /** Remembers the newest trigger that arrived while the slot was taken. */
  async defer(task: string, trigger: string): Promise<void> {
    await this.redis.set(this.pending(task), trigger);
  }

  async takeDeferred(task: string): Promise<string | undefined> {
    return (await this.redis.getdel(this.pending(task))) ?? undefined;
  }
}
