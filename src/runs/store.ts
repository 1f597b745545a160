// Run records in Redis. A run is a hash with one JSON-encoded value per top-level field, so a state
// transition is one atomic script: check the current status, write the changed fields, move the run
// between the per-status indexes. The status in Redis is the single source of truth for every process.
import type { Redis } from 'ioredis';
import { SlipwayKeys } from '../store/keys.js';
import { formatRunId } from './ids.js';
import { checkTransition } from './lifecycle.js';
import type { RunPatch, RunRecords, RunSummary, TransitionResult } from './records.js';
import { BaseImageUse, PlatformResult, Run, RUN_STATUSES, type RunStatus } from './model.js';
import * as z from 'zod';

// KEYS: run hash, all-runs index, status index prefix. ARGV: allowed-from statuses (JSON array), then field/value pairs.
const TRANSITION = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {0, ''} end
local allowed = cjson.decode(ARGV[1])
local ok = false
for _, s in ipairs(allowed) do if ('"' .. s .. '"') == current then ok = true end end
if not ok then return {0, current} end
local next = current
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  if ARGV[i] == 'status' then next = ARGV[i + 1] end
end
if next ~= current then
  local id = cjson.decode(redis.call('HGET', KEYS[1], 'id'))
  local score = redis.call('ZSCORE', KEYS[2], id)
  redis.call('ZREM', KEYS[3] .. cjson.decode(current), id)
  redis.call('ZADD', KEYS[3] .. cjson.decode(next), score, id)
end
return {1, next}
`;

// KEYS: the run hash, then n1 more keys of the run, n2 indexes listing it, n3 keys that keep it while any
// exists, n4 claims released if they hold its id. ARGV: id, status as stored, n1, n2, n3, n4.
// A record already gone (an index entry left behind) is cleaned up all the same.
const REMOVE = `
local status = redis.call('HGET', KEYS[1], 'status')
if status and status ~= ARGV[2] then return 0 end
local n1, n2, n3, n4 = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
for i = 2 + n1 + n2, 1 + n1 + n2 + n3 do
  if redis.call('EXISTS', KEYS[i]) == 1 then return 0 end
end
redis.call('UNLINK', unpack(KEYS, 1, 1 + n1))
for i = 2 + n1, 1 + n1 + n2 do redis.call('ZREM', KEYS[i], ARGV[1]) end
for i = 2 + n1 + n2 + n3, 1 + n1 + n2 + n3 + n4 do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 1
`;

export type { RunPatch, RunSummary, TransitionResult } from './records.js';

/** The Redis adapter of RunRecords. */
export class RunStore implements RunRecords {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  private key(id: string): string {
    return this.keys.run(id);
  }
  private get indexKey(): string {
    return this.keys.runs;
  }
  private taskKey(task: string): string {
    return this.keys.runsOfTask(task);
  }
  private statusKey(status: string): string {
    return this.keys.runsInStatus(status);
  }

  async nextId(): Promise<{ id: string; seq: number }> {
    const seq = await this.redis.incr(this.keys.runSeq);
    return { id: formatRunId(seq), seq };
  }

  async create(run: Run, seq: number): Promise<void> {
    const fields = Object.entries(Run.parse(run)).flatMap(([k, v]) => [k, JSON.stringify(v)]);
    const multi = this.redis.multi().hset(this.key(run.id), ...fields).zadd(this.indexKey, seq, run.id).zadd(this.statusKey(run.status), seq, run.id);
    if (run.task) multi.zadd(this.taskKey(run.task), seq, run.id);
    await multi.exec();
  }

  // Platforms of one run finish concurrently on different workers: each writes its own field.
  private platformsKey(id: string): string {
    return this.keys.runPlatforms(id);
  }

  async setPlatformResult(id: string, result: PlatformResult): Promise<void> {
    await this.redis.hset(this.platformsKey(id), result.platform, JSON.stringify(PlatformResult.parse(result)));
  }

  private basesKey(id: string): string {
    return this.keys.runBases(id);
  }

  /** The base images one platform's build pulled; each platform writes its own field. */
  async setBaseImages(id: string, platform: string, bases: BaseImageUse[]): Promise<void> {
    await this.redis.hset(this.basesKey(id), platform, JSON.stringify(z.array(BaseImageUse).parse(bases)));
  }

  async get(id: string): Promise<Run | undefined> {
    const replies = (await this.redis.multi().hgetall(this.key(id)).hgetall(this.platformsKey(id)).hgetall(this.basesKey(id)).exec()) as [unknown, Record<string, string>][];
    return this.decode(replies[0]![1], replies[1]![1], replies[2]![1]);
  }

  private decode(hash: Record<string, string>, platforms: Record<string, string>, bases: Record<string, string> = {}): Run | undefined {
    if (!hash.id) return undefined;
    const obj: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(hash)) {
      const value: unknown = JSON.parse(v);
      if (value !== null) obj[k] = value;
    }
    const run = Run.parse(obj);
    if (run.platforms.length > 1) {
      const results = new Map(Object.entries(platforms).map(([p, v]) => [p, PlatformResult.parse(JSON.parse(v))]));
      run.platformResults = run.platforms.map((p) => results.get(p) ?? { platform: p, status: 'queued' as const });
    }
    const used = run.platforms.flatMap((p) => (bases[p] ? z.array(BaseImageUse).parse(JSON.parse(bases[p])) : []));
    if (used.length) run.baseImages = used;
    return run;
  }

  /** Newest first, optionally only runs in one status or of one task. */
  async list(opts: { status?: RunStatus; task?: string; top: number }): Promise<Run[]> {
    const key = opts.task ? this.taskKey(opts.task) : opts.status ? this.statusKey(opts.status) : this.indexKey;
    // A task's runs in one status: read a bounded window of the task's runs and filter.
    const both = opts.task !== undefined && opts.status !== undefined;
    const ids = await this.redis.zrevrange(key, 0, (both ? 1000 : opts.top) - 1);
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.key(id)).hgetall(this.platformsKey(id)).hgetall(this.basesKey(id));
    const rows = ((await pipeline.exec()) ?? []).map(([, v]) => v as Record<string, string>);
    const runs: Run[] = [];
    for (let i = 0; i < rows.length; i += 3) {
      const run = this.decode(rows[i]!, rows[i + 1]!, rows[i + 2]!);
      if (run && (!both || run.status === opts.status)) runs.push(run);
    }
    return runs.slice(0, opts.top);
  }

  /** Runs in one status, oldest first, from position `start`. */
  async oldest(status: RunStatus, start: number, count: number): Promise<RunSummary[]> {
    const ids = await this.redis.zrange(this.statusKey(status), String(start), String(start + count - 1));
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.key(id), 'status', 'task', 'createdAt', 'finishedAt');
    const rows = ((await pipeline.exec()) ?? []).map(([, v]) => (v as (string | null)[]).map((f) => (f === null ? undefined : (JSON.parse(f) as string | null) ?? undefined)));
    return ids.map((id, i) => {
      const [stored, task, createdAt, finishedAt] = rows[i] ?? [];
      return {
        id,
        status: RUN_STATUSES.find((s) => s === stored) ?? status,
        ...(task !== undefined ? { task } : {}),
        ...(createdAt !== undefined ? { createdAt } : {}),
        ...(finishedAt !== undefined ? { finishedAt } : {}),
      };
    });
  }

  /**
   * Deletes a run, atomically: its record, its log, and its entries in every index; its task's slot is
   * released if the run still holds it (a trigger would wait forever behind a deleted run). False, and
   * nothing changes, while a rebuild wave still links the run (settling the wave reads it) or when the run
   * is no longer in `run.status`.
   */
  async remove(run: RunSummary): Promise<boolean> {
    const own = [this.key(run.id), this.platformsKey(run.id), this.basesKey(run.id), this.keys.runLog(run.id), this.keys.runLogBytes(run.id)];
    const indexes = [this.indexKey, this.statusKey(run.status), ...(run.task ? [this.taskKey(run.task)] : [])];
    const keepWhile = [this.keys.waveOfRun(run.id)];
    const claims = run.task ? [this.keys.taskActive(run.task)] : [];
    const keyList = [...own, ...indexes, ...keepWhile, ...claims];
    const args = [run.id, JSON.stringify(run.status), ...[own.length - 1, indexes.length, keepWhile.length, claims.length].map(String)];
    return (await this.redis.eval(REMOVE, keyList.length, ...keyList, ...args)) === 1;
  }

  /** Applies patch only if the run is in one of `from`; atomic across processes. */
  async transition(id: string, from: readonly RunStatus[], patch: RunPatch): Promise<TransitionResult> {
    checkTransition(from, patch.status ?? undefined);
    const args = Object.entries(patch)
      .filter(([, v]) => v !== undefined)
      .flatMap(([k, v]) => [k, JSON.stringify(v)]);
    const [ok, status] = (await this.redis.eval(
      TRANSITION,
      3,
      this.key(id),
      this.indexKey,
      this.keys.runsInStatusPrefix,
      JSON.stringify(from),
      ...args,
    )) as [number, string];
    if (!status) return { ok: false };
    const now = JSON.parse(status) as string;
    return { ok: ok === 1, status: RUN_STATUSES.find((s) => s === now) };
  }
}
