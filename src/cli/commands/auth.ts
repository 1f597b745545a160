// `slipway login|logout` and `slipway token create|list|update|revoke`: who the CLI is, and the tokens an admin hands out.
import { loadCliConfig } from '../../config.js';
import type { TokenCreate, TokenUpdate } from '../../contract/requests.js';
import { ROLES, type Role } from '../../contract/tokens.js';
import { SlipwayApi } from '../api-client.js';
import { removeCredentials, writeCredentials } from '../credentials.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit.js';
import { parseChoice, parseServerUrl } from '../flags.js';
import { formatAge, renderTable } from '../format.js';
import type { CliIo } from '../io.js';

export interface LoginFlags {
  tokenStdin?: boolean;
}

/** Checks the token against the server (any role may list runs), then saves both for later commands. */
export async function login(serverFlag: string | undefined, flags: LoginFlags, stdin: AsyncIterable<Buffer | string>, io: CliIo): Promise<ExitCode> {
  if (!flags.tokenStdin) throw new UsageError('give the token on standard input with --token-stdin (on the command line it would stay in your shell history)');
  const config = loadCliConfig();
  const server = parseServerUrl(serverFlag ?? config.server, serverFlag === undefined ? 'SLIPWAY_SERVER' : '--server');
  let text = '';
  for await (const chunk of stdin) text += chunk.toString();
  const token = text.trim();
  if (!token || /\s/.test(token)) throw new UsageError('standard input must hold one token, e.g. slipway login --token-stdin < token-file');
  await new SlipwayApi(server, undefined, token).listRuns({ top: 1 });
  writeCredentials(config.cli.configFile, { server, token });
  io.stderr.write(`Logged in to ${server} (saved in ${config.cli.configFile})\n`);
  return ExitCode.ok;
}

export function logout(io: CliIo): ExitCode {
  const { configFile } = loadCliConfig().cli;
  io.stderr.write(removeCredentials(configFile) ? `Logged out (removed ${configFile})\n` : 'Not logged in\n');
  return ExitCode.ok;
}

export interface TokenCreateFlags {
  role: string;
  repositories?: string;
  tasks?: string;
  expires?: string;
  json?: boolean;
}

/** `--expires 90d` → 90. */
export function parseExpiry(input: string): number {
  const m = /^(\d{1,4})d$/.exec(input.trim());
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 3650) throw new UsageError(`--expires ${JSON.stringify(input.slice(0, 20))} must be a number of days, 1d to 3650d, e.g. 90d`);
  return Number(m[1]);
}

/** A scope as a person reads it: the patterns, or * for none (any). */
const scope = (list: string[]) => (list.length ? list.join(',') : '*');
const patterns = (input: string | undefined) => (input === undefined ? [] : input.split(',').map((p) => p.trim()).filter(Boolean));

/** Prints the new token alone on stdout (for `TOKEN=$(slipway token create …)`); it is never shown again. */
export async function createToken(api: SlipwayApi, name: string, flags: TokenCreateFlags, io: CliIo): Promise<ExitCode> {
  const body: TokenCreate = {
    name,
    role: parseChoice<Role>(flags.role, ROLES, '--role'),
    repositories: patterns(flags.repositories),
    tasks: patterns(flags.tasks),
    ...(flags.expires !== undefined ? { expiresInDays: parseExpiry(flags.expires) } : {}),
  };
  const created = await api.createToken(body);
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
    return ExitCode.ok;
  }
  io.stdout.write(`${created.token}\n`);
  io.stderr.write(`Token ${created.name} (${created.role}) created; it is shown only this once. Give it with: slipway login --token-stdin\n`);
  return ExitCode.ok;
}

export async function listTokens(api: SlipwayApi, opts: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const tokens = await api.listTokens();
  if (opts.json) io.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`);
  else if (tokens.length === 0) io.stderr.write('No tokens\n');
  else {
    const rows = tokens.map((t) => [t.name, t.role, scope(t.repositories), scope(t.tasks), formatAge(t.createdAt), t.expiresAt ?? 'never']);
    io.stdout.write(`${renderTable(['NAME', 'ROLE', 'REPOSITORIES', 'TASKS', 'CREATED', 'EXPIRES'], rows)}\n`);
  }
  return ExitCode.ok;
}

export interface TokenUpdateFlags {
  role?: string;
  repositories?: string;
  tasks?: string;
  expires?: string;
  json?: boolean;
}

/** Only what the flags name changes; `--repositories ''` (or `--tasks ''`) lifts the scope, `--expires never` the expiry. */
export async function updateToken(api: SlipwayApi, name: string, flags: TokenUpdateFlags, io: CliIo): Promise<ExitCode> {
  const body: TokenUpdate = {
    ...(flags.role !== undefined ? { role: parseChoice<Role>(flags.role, ROLES, '--role') } : {}),
    ...(flags.repositories !== undefined ? { repositories: patterns(flags.repositories) } : {}),
    ...(flags.tasks !== undefined ? { tasks: patterns(flags.tasks) } : {}),
    ...(flags.expires !== undefined ? { expiresInDays: flags.expires.trim() === 'never' ? null : parseExpiry(flags.expires) } : {}),
  };
  if (Object.keys(body).length === 0) throw new UsageError('say what changes: --role, --repositories, --tasks or --expires');
  const updated = await api.updateToken(name, body);
  if (flags.json) io.stdout.write(`${JSON.stringify(updated, null, 2)}\n`);
  else io.stderr.write(`Token ${updated.name} updated: ${updated.role}, repositories ${scope(updated.repositories)}, tasks ${scope(updated.tasks)}, expires ${updated.expiresAt ?? 'never'}\n`);
  return ExitCode.ok;
}

export async function revokeToken(api: SlipwayApi, name: string, io: CliIo): Promise<ExitCode> {
  await api.revokeToken(name);
  io.stderr.write(`Token ${name} revoked\n`);
  return ExitCode.ok;
}
