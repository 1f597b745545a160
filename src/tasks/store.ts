// Task definitions in Redis: one JSON value per task, a set of names, an index from repository URL to the
// tasks building it (for webhooks), and the git tokens apart from everything that is ever returned, sealed
// with the server key: Redis's AOF and its dumps keep on disk whatever is written, and a token read from
// them must not open the repository.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Sealed, type Keyring } from '../secrets/sealed.js';
import { SlipwayKeys } from '../store/keys.js';
import { BASE_IMAGE_TRIGGERS, Task } from './model.js';
import type { TaskRecords } from './records.js';

/** The Redis adapter of TaskRecords. */
export class TaskStore implements TaskRecords {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly keyring: Keyring,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  private key(name: string): string {
    return this.keys.task(name);
  }
  private tokenKey(name: string): string {
    return this.keys.taskToken(name);
  }
  private webhookTokenKey(name: string): string {
    return this.keys.taskWebhookToken(name);
  }
  private repoKey(repository: string): string {
    return this.keys.tasksOfRepository(repository);
  }
  private get namesKey(): string {
    return this.keys.tasks;
  }
  /** Each task's base-image trigger apart, so planning a rebuild over thousands of tasks reads one hash. */
  private get triggersKey(): string {
    return this.keys.taskBaseImageTriggers;
  }

  async get(name: string): Promise<Task | undefined> {
    const raw = await this.redis.get(this.key(name));
    return raw ? Task.parse(JSON.parse(raw)) : undefined;
  }

  /** Writes a task; `create` refuses to overwrite one that exists. Returns false when it did exist. */
  async put(task: Task, opts: { create: boolean; token?: string | null; webhookToken?: string | null; previousRepository?: string }): Promise<boolean> {
    const multi = this.redis.multi();
    if (opts.previousRepository && opts.previousRepository !== task.repository) multi.srem(this.repoKey(opts.previousRepository), task.name);
    multi.sadd(this.namesKey, task.name).sadd(this.repoKey(task.repository), task.name).hset(this.triggersKey, task.name, task.baseImageTrigger);
    if (opts.token) multi.set(this.tokenKey(task.name), this.sealToken(task.name, opts.token));
    if (opts.token === null) multi.del(this.tokenKey(task.name));
    if (opts.webhookToken) multi.set(this.webhookTokenKey(task.name), tokenHash(opts.webhookToken));
    if (opts.webhookToken === null) multi.del(this.webhookTokenKey(task.name));
    if (opts.create) {
      const created = await this.redis.set(this.key(task.name), JSON.stringify(Task.parse(task)), 'NX');
      if (!created) return false;
    } else {
      multi.set(this.key(task.name), JSON.stringify(Task.parse(task)));
    }
    await multi.exec();
    return true;
  }

  async delete(name: string): Promise<boolean> {
    const task = await this.get(name);
    if (!task) return false;
    await this.redis.multi().del(this.key(name), this.tokenKey(name), this.webhookTokenKey(name)).srem(this.namesKey, name).srem(this.repoKey(task.repository), name).hdel(this.triggersKey, name).exec();
    return true;
  }

  async list(): Promise<Task[]> {
    const names = (await this.redis.smembers(this.namesKey)).sort();
    if (names.length === 0) return [];
    const raws = await this.redis.mget(names.map((n) => this.key(n)));
    return raws.filter((r): r is string => r !== null).map((r) => Task.parse(JSON.parse(r)));
  }

  async byRepository(repository: string): Promise<Task[]> {
    const names = await this.redis.smembers(this.repoKey(repository));
    const tasks = await Promise.all(names.sort().map((n) => this.get(n)));
    return tasks.filter((t): t is Task => t !== undefined);
  }

  /** Each existing task's base-image trigger, for planning rebuilds over many tasks in one round trip per thousand. */
  async baseImageTriggers(names: string[]): Promise<Map<string, Task['baseImageTrigger']>> {
    const out = new Map<string, Task['baseImageTrigger']>();
    const valid = new Set<string>(BASE_IMAGE_TRIGGERS);
    for (let i = 0; i < names.length; i += 5000) {
      const chunk = names.slice(i, i + 5000);
      const values = chunk.length ? await this.redis.hmget(this.triggersKey, ...chunk) : [];
      values.forEach((v, n) => v && valid.has(v) && out.set(chunk[n]!, v as Task['baseImageTrigger']));
    }
    // Tasks stored before the hash existed: read from their records.
    for (const name of names.filter((n) => !out.has(n))) {
      const task = await this.get(name);
      if (task) out.set(name, task.baseImageTrigger);
    }
    return out;
  }

  async token(name: string): Promise<string | undefined> {
    const stored = await this.redis.get(this.tokenKey(name));
    if (stored === null) return undefined;
    const sealed = parseSealed(stored);
    if (sealed) return this.keyring.open(sealed, tokenContext(name));
    // Stored in clear before tokens were sealed: sealed now, unless it changed meanwhile.
    await this.redis.eval(REPLACE_IF_UNCHANGED, 1, this.tokenKey(name), stored, this.sealToken(name, stored));
    return stored;
  }

  async webhookTokenMatches(name: string, presented: string): Promise<boolean> {
    const stored = await this.redis.get(this.webhookTokenKey(name));
    return stored !== null && stored.length === 64 && timingSafeEqual(Buffer.from(stored, 'hex'), Buffer.from(tokenHash(presented), 'hex'));
  }

  private sealToken(name: string, token: string): string {
    return JSON.stringify(this.keyring.seal(token, tokenContext(name)));
  }
}

/** A webhook token is only ever compared, so only its hash is kept. */
const tokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** Bound into each sealed token: one task's sealed token copied to another does not open there. */
const tokenContext = (name: string) => `task-token:${name}`;

const REPLACE_IF_UNCHANGED = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) end return 0`;

/** The sealed form of a stored token, or undefined for a token stored in clear (a git token is never JSON). */
function parseSealed(stored: string): Sealed | undefined {
  if (!stored.startsWith('{')) return undefined;
  try {
    const parsed = Sealed.safeParse(JSON.parse(stored));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
