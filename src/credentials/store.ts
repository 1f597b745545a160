// Registry credentials in Redis. Each is one field of one hash (see store/keys.ts), its password sealed with
// the server keyring (AES-256-GCM) and bound to its scope and host, so a sealed value copied to another field
// does not open there. The user name stays readable: the list shows it.
import type { Redis } from 'ioredis';
import * as z from 'zod';
import type { RegistryInfo } from '../contract/registries.js';
import { Sealed, type Keyring } from '../secrets/sealed.js';
import { SlipwayKeys } from '../store/keys.js';
import { credentialHost } from './hosts.js';
import type { RegistryLogin } from './login.js';

const StoredLogin = z.object({ host: z.string(), username: z.string(), task: z.string().optional(), createdAt: z.string(), sealed: Sealed });
type StoredLogin = z.infer<typeof StoredLogin>;

/** `*` is no task name (see tasks/names.ts), so the server's own scope cannot collide with a task's. */
const SERVER_SCOPE = '*';

export class RegistryCredentialStore {
  private readonly keys: SlipwayKeys;
  private readonly changeListeners = new Set<() => void>();

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly keyring: Keyring,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  /** Stores (or replaces) the login for `host`, the server's or the task's. */
  async save(login: RegistryLogin & { task?: string }, now = new Date()): Promise<RegistryInfo> {
    const host = credentialHost(login.host);
    const scope = login.task ?? SERVER_SCOPE;
    const record: StoredLogin = {
      host,
      username: login.username,
      ...(login.task ? { task: login.task } : {}),
      createdAt: now.toISOString(),
      sealed: this.keyring.seal(login.password, sealContext(scope, host)),
    };
    await this.redis.hset(this.keys.registryCredentials, field(scope, host), JSON.stringify(record));
    this.changed();
    return info(record);
  }

  /** Told after every change made through this store (another API instance's changes are not seen). */
  onChange(listener: () => void): void {
    this.changeListeners.add(listener);
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  /** Every login, never a password: the server's first, then by task, each by host. */
  async list(): Promise<RegistryInfo[]> {
    return (await this.all()).map(info).sort((a, b) => (a.task ?? '').localeCompare(b.task ?? '') || a.host.localeCompare(b.host));
  }

  /** Deletes a login; false when there was none. */
  async remove(host: string, task?: string): Promise<boolean> {
    const removed = (await this.redis.hdel(this.keys.registryCredentials, field(task ?? SERVER_SCOPE, credentialHost(host)))) > 0;
    this.changed();
    return removed;
  }

  /** Deletes every login of a task (the task is gone: a new task of the same name must not inherit them). */
  async removeTask(task: string): Promise<void> {
    const fields = (await this.all()).filter((r) => r.task === task).map((r) => field(task, r.host));
    if (fields.length) await this.redis.hdel(this.keys.registryCredentials, ...fields);
    this.changed();
  }

  /**
   * The logins a run uses, opened: the server's, with the task's in place of the server's for the same
   * host (a task that names its own account for a registry means that account).
   */
  async forRun(task?: string): Promise<RegistryLogin[]> {
    const records = await this.all();
    const server = records.filter((r) => r.task === undefined);
    const own = task ? records.filter((r) => r.task === task) : [];
    const byHost = new Map<string, RegistryLogin>();
    for (const r of [...server, ...own]) {
      byHost.set(r.host, { host: r.host, username: r.username, password: this.keyring.open(r.sealed, sealContext(r.task ?? SERVER_SCOPE, r.host)) });
    }
    return [...byHost.values()];
  }

  private async all(): Promise<StoredLogin[]> {
    const raw = await this.redis.hgetall(this.keys.registryCredentials);
    return Object.values(raw).flatMap((value) => {
      const parsed = StoredLogin.safeParse(JSON.parse(value));
      return parsed.success ? [parsed.data] : [];
    });
  }
}

function field(scope: string, host: string): string {
  return `${scope} ${host}`;
}

function sealContext(scope: string, host: string): string {
  return `slipway-registry:${scope}:${host}`;
}

function info(r: StoredLogin): RegistryInfo {
  return { host: r.host, username: r.username, ...(r.task ? { task: r.task } : {}), createdAt: r.createdAt };
}
