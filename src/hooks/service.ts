// The rules between the HTTP layer and the hook store: a hook's URL passes the host policy, its secret is
// sealed before it is stored and answered only once, and a redelivery sends the stored body again under the
// same delivery id (as GitHub's redeliveries do), as a new job so the retries start afresh.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { HOOK_EVENTS, HookCreate as HookCreateSchema, type HookCreated, type HookDelivery, type HookInfo } from '../contract/hooks.js';
import { BadInputError, ConflictError, NotFoundError } from '../errors.js';
import type { Keyring } from '../secrets/sealed.js';
import { DELIVER_JOB, DELIVER_JOB_OPTIONS, deliverJobId, hooksQueue, type DeliverJob } from './events.js';
import { HookStore, secretContext, type HookRecord, type StoredDelivery } from './store.js';
import { hookUrlProblem, type HookUrlPolicy } from './url-policy.js';

/** Without --events: every run outcome. */
const DEFAULT_EVENTS = HOOK_EVENTS.filter((e) => e.startsWith('run.'));

const info = ({ secret: _, ...rest }: HookRecord): HookInfo => rest;
const shown = ({ body: _, ...rest }: StoredDelivery): HookDelivery => rest;

export class HookService {
  readonly store: HookStore;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly keyring: Keyring,
    private readonly policy: HookUrlPolicy,
  ) {
    this.store = new HookStore(redis, prefix);
  }

  async create(body: unknown, now = new Date()): Promise<HookCreated> {
    const req = HookCreateSchema.parse(body);
    const problem = hookUrlProblem(req.url, this.policy);
    if (problem) throw new BadInputError(`hook URL refused: ${problem}`, 'hook_url_not_allowed');
    const secret = req.secret ?? randomBytes(32).toString('base64url');
    const record: HookRecord = {
      name: req.name,
      url: req.url,
      events: req.events ? [...new Set(req.events)] : [...DEFAULT_EVENTS],
      tasks: req.tasks ?? [],
      createdAt: now.toISOString(),
      secret: this.keyring.seal(secret, secretContext(req.name)),
    };
    if (!(await this.store.create(record))) throw new ConflictError(`a hook named ${req.name} exists; delete it first or choose another name`, 'hook_exists');
    return { ...info(record), secret };
  }

  async list(): Promise<HookInfo[]> {
    return (await this.store.list()).map(info);
  }

  async delete(name: string): Promise<void> {
    if (!(await this.store.delete(name))) throw notFound(name);
  }

  async deliveries(name: string, top: number): Promise<HookDelivery[]> {
    if (!(await this.store.get(name))) throw notFound(name);
    return (await this.store.deliveries(name, top)).map(shown);
  }

  /** Sends a delivery again; refused while it is still being retried. */
  async redeliver(name: string, id: string): Promise<HookDelivery> {
    if (!(await this.store.get(name))) throw notFound(name);
    const current = await this.store.delivery(name, id);
    if (!current) throw new NotFoundError(`hook ${name} has no delivery ${JSON.stringify(id.slice(0, 64))} (slipway hook deliveries ${name} lists them)`, 'delivery_not_found');
    if (current.state === 'pending') throw new ConflictError(`delivery ${id} is still being tried; redeliver it once it has been delivered or has failed`, 'delivery_pending');
    const redeliveries = current.redeliveries + 1;
    const changed = await this.store.updateDelivery(name, id, (d) => ({ ...d, state: 'pending', redeliveries }));
    if (!changed) throw notFound(name);
    await hooksQueue(this.redis, this.prefix).add(DELIVER_JOB, { hook: name, delivery: id } satisfies DeliverJob, { jobId: deliverJobId(id, redeliveries), ...DELIVER_JOB_OPTIONS });
    return shown(changed);
  }
}

const notFound = (name: string) => new NotFoundError(`no hook named ${JSON.stringify(name.slice(0, 64))}`, 'hook_not_found');
