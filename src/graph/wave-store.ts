// Rebuild waves in Redis. A wave is a record plus a hash of entries (one per task); a sorted set of ready
// entries is shared by all waves (first come, first dispatched), and a sorted set of active rebuild runs
// is what the concurrency cap counts. Callers hold the rebuild mutex around every change.
import type { Redis } from 'ioredis';
import { Wave, WaveEntry } from './wave-model.js';

export interface ReadyRef {
  wave: string;
  task: string;
}

const SEP = '\t';
/** Waves are kept this long for `graph rebuilds`, and the newest this many are listed. */
const WAVE_TTL_SECONDS = 30 * 24 * 3600;
const WAVES_LISTED = 1000;

export class WaveStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private waveKey(id: string): string {
    return `${this.prefix}:rebuild:${id}`;
  }
  private entriesKey(id: string): string {
    return `${this.prefix}:rebuild:${id}:entries`;
  }
  private taskKey(task: string): string {
    return `${this.prefix}:rebuilds:task:${task}`;
  }
  /** Links a dispatched rebuild run to its wave entry until the entry is settled. */
  runKey(runId: string): string {
    return `${this.prefix}:rebuilds:run:${runId}`;
  }
  private inFlightKey(task: string): string {
    return `${this.prefix}:rebuilds:in-flight:${task}`;
  }
  private get indexKey(): string {
    return `${this.prefix}:rebuilds`;
  }
  private get readyKey(): string {
    return `${this.prefix}:rebuilds:ready`;
  }
  private get activeKey(): string {
    return `${this.prefix}:rebuilds:active`;
  }

  async nextId(): Promise<string> {
    const seq = await this.redis.incr(`${this.prefix}:rebuild-seq`);
    return `w${seq.toString(36).padStart(6, '0')}`;
  }

  /** Writes a new wave with its entries, marks its ready entries, and points each task at it. */
  async create(wave: Wave, entries: WaveEntry[]): Promise<void> {
    const multi = this.redis
      .multi()
      .set(this.waveKey(wave.id), JSON.stringify(Wave.parse(wave)), 'EX', WAVE_TTL_SECONDS)
      .zadd(this.indexKey, Date.now(), wave.id)
      .zremrangebyrank(this.indexKey, 0, -WAVES_LISTED - 1);
    for (let i = 0; i < entries.length; i += 1000) {
      const chunk = entries.slice(i, i + 1000);
      multi.hset(this.entriesKey(wave.id), ...chunk.flatMap((e) => [e.task, JSON.stringify(e)]));
      multi.mset(...chunk.flatMap((e) => [this.taskKey(e.task), wave.id]));
    }
    multi.expire(this.entriesKey(wave.id), WAVE_TTL_SECONDS);
    await multi.exec();
    await this.markReady(wave.id, entries.filter((e) => e.state === 'ready').map((e) => e.task));
  }

  async markReady(wave: string, tasks: string[]): Promise<void> {
    if (tasks.length === 0) return;
    const last = await this.redis.incrby(`${this.prefix}:rebuilds:ready-seq`, tasks.length);
    await this.redis.zadd(this.readyKey, ...tasks.flatMap((t, i) => [last - tasks.length + i + 1, `${wave}${SEP}${t}`]));
  }

  async get(id: string): Promise<Wave | undefined> {
    const raw = await this.redis.get(this.waveKey(id));
    return raw ? Wave.parse(JSON.parse(raw)) : undefined;
  }

  async list(top: number): Promise<Wave[]> {
    const ids = await this.redis.zrevrange(this.indexKey, 0, top - 1);
    const raws = ids.length ? await this.redis.mget(ids.map((id) => this.waveKey(id))) : [];
    return raws.filter((r): r is string => r !== null).map((r) => Wave.parse(JSON.parse(r)));
  }

  async entries(id: string): Promise<WaveEntry[]> {
    return Object.values(await this.redis.hgetall(this.entriesKey(id))).map((v) => WaveEntry.parse(JSON.parse(v)));
  }

  async entry(id: string, task: string): Promise<WaveEntry | undefined> {
    const raw = await this.redis.hget(this.entriesKey(id), task);
    return raw ? WaveEntry.parse(JSON.parse(raw)) : undefined;
  }

  /** Many entries, each of its own wave, in one round trip. */
  async entriesAt(refs: ReadyRef[]): Promise<(WaveEntry | undefined)[]> {
    if (refs.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const ref of refs) pipeline.hget(this.entriesKey(ref.wave), ref.task);
    return ((await pipeline.exec()) ?? []).map(([, raw]) => (typeof raw === 'string' ? WaveEntry.parse(JSON.parse(raw)) : undefined));
  }

  async putEntries(id: string, entries: WaveEntry[]): Promise<void> {
    if (entries.length) await this.redis.hset(this.entriesKey(id), ...entries.flatMap((e) => [e.task, JSON.stringify(WaveEntry.parse(e))]));
  }

  /** The wave that holds each task's unsettled entry, if any. */
  async wavesOf(tasks: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < tasks.length; i += 1000) {
      const chunk = tasks.slice(i, i + 1000);
      (await this.redis.mget(chunk.map((t) => this.taskKey(t)))).forEach((w, n) => w && out.set(chunk[n]!, w));
    }
    return out;
  }

  /** Releases a task's pointer once its entry in `wave` is settled (a later wave may have taken it). */
  async releaseTask(task: string, wave: string): Promise<void> {
    if ((await this.redis.get(this.taskKey(task))) === wave) await this.redis.del(this.taskKey(task));
  }

  /** Takes up to `n` ready entries, oldest first. */
  async popReady(n: number): Promise<ReadyRef[]> {
    if (n <= 0) return [];
    const popped = (await this.redis.zpopmin(this.readyKey, n)) as string[];
    const out: ReadyRef[] = [];
    for (let i = 0; i < popped.length; i += 2) {
      const [wave, task] = popped[i]!.split(SEP) as [string, string];
      out.push({ wave, task });
    }
    return out;
  }

  async readyCount(): Promise<number> {
    return this.redis.zcard(this.readyKey);
  }

  /** Active rebuild runs (and dispatches under way), which the concurrency cap counts. */
  async activeCount(): Promise<number> {
    return this.redis.zcard(this.activeKey);
  }

  async activeMembers(): Promise<{ member: string; since: number }[]> {
    const flat = await this.redis.zrange(this.activeKey, '0', '-1', 'WITHSCORES');
    const out = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ member: flat[i]!, since: Number(flat[i + 1]) });
    return out;
  }

  async addActive(member: string): Promise<void> {
    await this.redis.zadd(this.activeKey, Date.now(), member);
  }

  async removeActive(member: string): Promise<void> {
    await this.redis.zrem(this.activeKey, member);
  }

  /** Links a dispatched run to its entry, and marks its task as having a rebuild in flight. */
  async linkRun(runId: string, ref: ReadyRef): Promise<void> {
    await this.redis.multi().set(this.runKey(runId), `${ref.wave}${SEP}${ref.task}`).set(this.inFlightKey(ref.task), runId).exec();
  }

  async runRef(runId: string): Promise<ReadyRef | undefined> {
    const raw = await this.redis.get(this.runKey(runId));
    if (!raw) return undefined;
    const [wave, task] = raw.split(SEP) as [string, string];
    return { wave, task };
  }

  async unlinkRun(runId: string, task: string): Promise<void> {
    await this.redis.del(this.runKey(runId));
    if ((await this.redis.get(this.inFlightKey(task))) === runId) await this.redis.del(this.inFlightKey(task));
  }

  /** Tasks among these with a rebuild run in flight. */
  async inFlight(tasks: string[]): Promise<string[]> {
    if (tasks.length === 0) return [];
    const runs = await this.redis.mget(tasks.map((t) => this.inFlightKey(t)));
    return tasks.filter((_, i) => runs[i]);
  }

  placeholder(ref: ReadyRef): string {
    return `dispatching${SEP}${ref.wave}${SEP}${ref.task}`;
  }
}
