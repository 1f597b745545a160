// Rebuild waves in Redis. A wave is a record plus a hash of entries (one per task); a sorted set of ready
// entries is shared by all waves (first come, first dispatched), and a sorted set of active rebuild runs
// is what the concurrency cap counts. Callers hold the rebuild lock around every change and write through
// its lease (`fenced`), so a holder whose lease ran out while it stalled cannot write over a newer holder.
import type { Redis } from 'ioredis';
import { SlipwayKeys } from '../store/keys.js';
import type { FencedWrite, Lease } from '../store/lock.js';
import type { ReadyRef, WaveRecords } from './records.js';
import { Wave, WaveEntry } from './wave-model.js';

export type { ReadyRef } from './records.js';

const SEP = '\t';
/** Waves are kept this long for `graph rebuilds`, and the newest this many are listed. */
const WAVE_TTL_SECONDS = 30 * 24 * 3600;
const WAVES_LISTED = 1000;

/** The Redis adapter of WaveRecords. */
export class WaveStore implements WaveRecords {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly lease?: Lease,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  /** The same store, writing only while `lease` holds the rebuild lock. */
  fenced(lease: Lease): WaveStore {
    return new WaveStore(this.redis, this.prefix, lease);
  }

  /** Applies writes atomically: through the lease when there is one. */
  private async write(writes: FencedWrite[]): Promise<unknown[]> {
    if (this.lease) return this.lease.write(writes);
    if (writes.length === 0) return [];
    const replies = (await this.redis.multi(writes.map((w) => w.map(String))).exec()) ?? [];
    return replies.map(([err, reply]) => {
      if (err) throw err;
      return reply;
    });
  }

  private waveKey(id: string): string {
    return this.keys.wave(id);
  }
  private entriesKey(id: string): string {
    return this.keys.waveEntries(id);
  }
  private taskKey(task: string): string {
    return this.keys.waveOfTask(task);
  }
  private runKey(runId: string): string {
    return this.keys.waveOfRun(runId);
  }
  private inFlightKey(task: string): string {
    return this.keys.rebuildInFlight(task);
  }
  private get indexKey(): string {
    return this.keys.waves;
  }
  private get readyKey(): string {
    return this.keys.rebuildsReady;
  }
  private get activeKey(): string {
    return this.keys.rebuildsActive;
  }

  /** How many waves were ever made here (the id counter). */
  async created(): Promise<number> {
    return Number((await this.redis.get(this.keys.waveSeq)) ?? 0);
  }

  async nextId(): Promise<string> {
    const seq = await this.redis.incr(this.keys.waveSeq);
    return `w${seq.toString(36).padStart(6, '0')}`;
  }

  /** Writes a new wave with its entries, marks its ready entries, and points each task at it. */
  async create(wave: Wave, entries: WaveEntry[]): Promise<void> {
    const writes: FencedWrite[] = [
      ['set', this.waveKey(wave.id), JSON.stringify(Wave.parse(wave)), 'EX', WAVE_TTL_SECONDS],
      ['zadd', this.indexKey, Date.now(), wave.id],
      ['zremrangebyrank', this.indexKey, 0, -WAVES_LISTED - 1],
    ];
    for (let i = 0; i < entries.length; i += 1000) {
      const chunk = entries.slice(i, i + 1000);
      writes.push(['hset', this.entriesKey(wave.id), ...chunk.flatMap((e) => [e.task, JSON.stringify(e)])]);
      for (const e of chunk) writes.push(['set', this.taskKey(e.task), wave.id]);
    }
    writes.push(['expire', this.entriesKey(wave.id), WAVE_TTL_SECONDS]);
    await this.write(writes);
    await this.markReady(wave.id, entries.filter((e) => e.state === 'ready').map((e) => e.task));
  }

  async markReady(wave: string, tasks: string[]): Promise<void> {
    if (tasks.length === 0) return;
    const last = await this.redis.incrby(this.keys.rebuildsReadySeq, tasks.length);
    await this.write([['zadd', this.readyKey, ...tasks.flatMap((t, i) => [last - tasks.length + i + 1, `${wave}${SEP}${t}`])]]);
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
    if (entries.length) await this.write([['hset', this.entriesKey(id), ...entries.flatMap((e) => [e.task, JSON.stringify(WaveEntry.parse(e))])]]);
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
    if ((await this.redis.get(this.taskKey(task))) === wave) await this.write([['del', this.taskKey(task)]]);
  }

  /** Takes up to `n` ready entries, oldest first. */
  async popReady(n: number): Promise<ReadyRef[]> {
    if (n <= 0) return [];
    const [popped] = (await this.write([['zpopmin', this.readyKey, n]])) as [string[]];
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
    await this.write([['zadd', this.activeKey, Date.now(), member]]);
  }

  async renewActive(member: string): Promise<boolean> {
    // Read then written under the rebuild lock, which every writer of the active set holds.
    if ((await this.redis.zscore(this.activeKey, member)) === null) return false;
    await this.write([['zadd', this.activeKey, 'XX', Date.now(), member]]);
    return true;
  }

  async removeActive(member: string): Promise<void> {
    await this.write([['zrem', this.activeKey, member]]);
  }

  /** Links a dispatched run to its entry, and marks its task as having a rebuild in flight. */
  async linkRun(runId: string, ref: ReadyRef): Promise<void> {
    await this.write(this.linkWrites(runId, ref));
  }

  private linkWrites(runId: string, ref: ReadyRef): FencedWrite[] {
    return [
      ['set', this.runKey(runId), `${ref.wave}${SEP}${ref.task}`],
      ['set', this.inFlightKey(ref.task), runId],
    ];
  }

  /** In one write: the entry's run is linked, counted as active in place of its placeholder, and the entry says so. */
  async dispatched(ref: ReadyRef, runId: string, entry: WaveEntry): Promise<void> {
    await this.write([
      ...this.linkWrites(runId, ref),
      ['zadd', this.activeKey, Date.now(), runId],
      ['zrem', this.activeKey, this.placeholder(ref)],
      ['hset', this.entriesKey(ref.wave), entry.task, JSON.stringify(WaveEntry.parse({ ...entry, state: 'dispatched', runId }))],
    ]);
  }

  async runRef(runId: string): Promise<ReadyRef | undefined> {
    const raw = await this.redis.get(this.runKey(runId));
    if (!raw) return undefined;
    const [wave, task] = raw.split(SEP) as [string, string];
    return { wave, task };
  }

  async unlinkRun(runId: string, task: string): Promise<void> {
    const inFlight = (await this.redis.get(this.inFlightKey(task))) === runId;
    await this.write([['del', this.runKey(runId)], ...(inFlight ? [['del', this.inFlightKey(task)] as FencedWrite] : [])]);
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
