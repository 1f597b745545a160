// `slipway hook create|list|delete|deliveries|redeliver`: outbound webhooks (run notifications), as an admin
// sets them up and anyone with a token watches their deliveries.
import { HOOK_EVENTS, type HookCreate, type HookDelivery, type HookEventType } from '../../contract/hooks.js';
import type { SlipwayApi } from '../api-client.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit.js';
import { parseChoice } from '../flags.js';
import { formatAge, renderTable } from '../format.js';
import type { CliIo } from '../io.js';

export interface HookCreateFlags {
  url: string;
  events?: string;
  tasks?: string;
  secretStdin?: boolean;
  json?: boolean;
}

const items = (input: string | undefined) => (input === undefined ? undefined : input.split(',').map((p) => p.trim()).filter(Boolean));

/** A secret given on stdin is the receiver's; without one the server makes one, printed alone on stdout, once. */
export async function createHook(api: SlipwayApi, name: string, flags: HookCreateFlags, stdin: AsyncIterable<Buffer | string>, io: CliIo): Promise<ExitCode> {
  let secret: string | undefined;
  if (flags.secretStdin) {
    let text = '';
    for await (const chunk of stdin) text += chunk.toString();
    secret = text.replace(/\r?\n$/, '');
    if (!secret) throw new UsageError('--secret-stdin: standard input is empty; give the secret the receiver checks, e.g. slipway hook create ci --url URL --secret-stdin < secret-file');
  }
  const events = items(flags.events)?.map((e) => parseChoice<HookEventType>(e, HOOK_EVENTS, '--events'));
  const tasks = items(flags.tasks);
  const body: HookCreate = { name, url: flags.url, ...(events ? { events } : {}), ...(tasks ? { tasks } : {}), ...(secret ? { secret } : {}) };
  const created = await api.createHook(body);
  if (flags.json) io.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
  else if (!secret) {
    io.stdout.write(`${created.secret}\n`);
    io.stderr.write(`Hook ${created.name} created for ${created.events.join(', ')}; its secret (above) is shown only this once: give it to the receiver to check X-Hub-Signature-256\n`);
  } else io.stderr.write(`Hook ${created.name} created for ${created.events.join(', ')}\n`);
  return ExitCode.ok;
}

export async function listHooks(api: SlipwayApi, opts: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const hooks = await api.listHooks();
  if (opts.json) io.stdout.write(`${JSON.stringify(hooks, null, 2)}\n`);
  else if (hooks.length === 0) io.stderr.write('No hooks\n');
  else {
    const rows = hooks.map((h) => [h.name, h.url, h.events.join(','), h.tasks.length ? h.tasks.join(',') : '*', formatAge(h.createdAt)]);
    io.stdout.write(`${renderTable(['NAME', 'URL', 'EVENTS', 'TASKS', 'CREATED'], rows)}\n`);
  }
  return ExitCode.ok;
}

export async function deleteHook(api: SlipwayApi, name: string, io: CliIo): Promise<ExitCode> {
  await api.deleteHook(name);
  io.stderr.write(`Hook ${name} deleted\n`);
  return ExitCode.ok;
}

/** The last attempt, as a person reads it: the receiver's status, or why there was none. */
function lastAttempt(d: HookDelivery): string {
  const last = d.attempts.at(-1);
  if (!last) return '-';
  return last.status !== undefined ? `HTTP ${last.status}` : (last.error ?? '-').slice(0, 60);
}

export async function hookDeliveries(api: SlipwayApi, name: string, opts: { top?: string; json?: boolean }, io: CliIo): Promise<ExitCode> {
  const top = opts.top === undefined ? 30 : Number(opts.top);
  if (!Number.isInteger(top) || top < 1 || top > 500) throw new UsageError(`--top ${JSON.stringify(opts.top)}: expected a number from 1 to 500`);
  const deliveries = await api.hookDeliveries(name, top);
  if (opts.json) io.stdout.write(`${JSON.stringify(deliveries, null, 2)}\n`);
  else if (deliveries.length === 0) io.stderr.write(`No deliveries for hook ${name}\n`);
  else {
    const rows = deliveries.map((d) => [d.id, d.event, d.state, String(d.attempts.length), lastAttempt(d), formatAge(d.createdAt), d.nextAttemptAt ?? '-']);
    io.stdout.write(`${renderTable(['DELIVERY', 'EVENT', 'STATE', 'ATTEMPTS', 'LAST', 'CREATED', 'NEXT TRY'], rows)}\n`);
  }
  return ExitCode.ok;
}

export async function redeliverHook(api: SlipwayApi, name: string, delivery: string, io: CliIo): Promise<ExitCode> {
  await api.redeliverHook(name, delivery);
  io.stderr.write(`Delivery ${delivery} of hook ${name} queued again\n`);
  return ExitCode.ok;
}
