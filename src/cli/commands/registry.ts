// `slipway registry login|list|logout` (docker login's flags) and `slipway task credential add|remove`
// (az acr task credential's): logins the server keeps for the registries its runs pull from and push to.
import { MAX_REGISTRY_PASSWORD, REGISTRY_HOST } from '../../contract/registries.js';
import { TASK_NAME } from '../../tasks/names.js';
import type { SlipwayApi } from '../api-client.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit.js';
import { quote } from '../flags.js';
import { formatAge, renderTable } from '../format.js';
import type { CliIo } from '../io.js';

export interface RegistryLoginFlags {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
}

/** The password from standard input (one trailing line break dropped, as docker login does) or from -p, with docker's warning. */
export async function readPassword(flags: RegistryLoginFlags, stdin: AsyncIterable<Buffer | string>, io: CliIo): Promise<string> {
  if (flags.password !== undefined && flags.passwordStdin) throw new UsageError('give the password with --password-stdin or -p, not both');
  if (flags.password !== undefined) {
    io.stderr.write('WARNING! Using --password via the CLI is insecure (it stays in your shell history and the process list). Use --password-stdin.\n');
    return flags.password;
  }
  if (!flags.passwordStdin) throw new UsageError('give the password on standard input with --password-stdin, e.g. slipway registry login HOST -u USER --password-stdin < password-file');
  let text = '';
  for await (const chunk of stdin) {
    text += chunk.toString();
    if (text.length > MAX_REGISTRY_PASSWORD + 2) throw new UsageError(`standard input holds more than a password (over ${MAX_REGISTRY_PASSWORD} characters)`);
  }
  const password = text.replace(/\r?\n$/, '');
  if (!password) throw new UsageError('standard input is empty: pipe the password in, e.g. slipway registry login HOST -u USER --password-stdin < password-file');
  return password;
}

/** A registry as `docker login` takes it; a URL's scheme and path are dropped (docker login https://ghcr.io works too). */
export function parseRegistryHost(input: string, flag = 'HOST'): string {
  const host = input.trim().replace(/^https?:\/\//i, '').replace(/\/.*$/, '');
  if (!REGISTRY_HOST.test(host) || host.length > 255) throw new UsageError(`${flag} ${quote(input)} is not a registry: give host[:port], e.g. ghcr.io or registry.example.com:5000`);
  return host;
}

function parseTaskName(input: string): string {
  if (!TASK_NAME.test(input)) throw new UsageError(`${quote(input)} is not a task name`);
  return input;
}

async function storeLogin(api: SlipwayApi, host: string, flags: RegistryLoginFlags, stdin: AsyncIterable<Buffer | string>, io: CliIo, task?: string): Promise<string> {
  if (!flags.username) throw new UsageError('give the user name with -u USER');
  const password = await readPassword(flags, stdin, io);
  const stored = await api.loginRegistry({ host, username: flags.username, password, ...(task ? { task } : {}) });
  return `${stored.username} at ${stored.host}`;
}

export async function registryLogin(api: SlipwayApi, hostInput: string, flags: RegistryLoginFlags, stdin: AsyncIterable<Buffer | string>, io: CliIo): Promise<ExitCode> {
  const who = await storeLogin(api, parseRegistryHost(hostInput), flags, stdin, io);
  io.stderr.write(`Login saved on the server: every run pulls and pushes as ${who}\n`);
  return ExitCode.ok;
}

export async function registryList(api: SlipwayApi, opts: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const logins = await api.listRegistries();
  if (opts.json) io.stdout.write(`${JSON.stringify(logins, null, 2)}\n`);
  else if (logins.length === 0) io.stderr.write('No registry logins\n');
  else io.stdout.write(`${renderTable(['REGISTRY', 'USERNAME', 'TASK', 'CREATED'], logins.map((l) => [l.host, l.username, l.task ?? '(every run)', formatAge(l.createdAt)]))}\n`);
  return ExitCode.ok;
}

export async function registryLogout(api: SlipwayApi, hostInput: string, io: CliIo): Promise<ExitCode> {
  const host = parseRegistryHost(hostInput);
  await api.logoutRegistry(host);
  io.stderr.write(`Removed the login for ${host}\n`);
  return ExitCode.ok;
}

export async function taskCredentialAdd(api: SlipwayApi, task: string, flags: RegistryLoginFlags & { loginServer: string }, stdin: AsyncIterable<Buffer | string>, io: CliIo): Promise<ExitCode> {
  const who = await storeLogin(api, parseRegistryHost(flags.loginServer, '--login-server'), flags, stdin, io, parseTaskName(task));
  io.stderr.write(`Login saved for task ${task}: its runs pull and push as ${who}\n`);
  return ExitCode.ok;
}

export async function taskCredentialRemove(api: SlipwayApi, task: string, flags: { loginServer: string }, io: CliIo): Promise<ExitCode> {
  const host = parseRegistryHost(flags.loginServer, '--login-server');
  await api.logoutRegistry(host, parseTaskName(task));
  io.stderr.write(`Removed task ${task}'s login for ${host}\n`);
  return ExitCode.ok;
}

export async function taskCredentialList(api: SlipwayApi, task: string, opts: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const logins = (await api.listRegistries()).filter((l) => l.task === parseTaskName(task));
  if (opts.json) io.stdout.write(`${JSON.stringify(logins, null, 2)}\n`);
  else if (logins.length === 0) io.stderr.write(`No registry logins for task ${task}\n`);
  else io.stdout.write(`${renderTable(['REGISTRY', 'USERNAME', 'CREATED'], logins.map((l) => [l.host, l.username, formatAge(l.createdAt)]))}\n`);
  return ExitCode.ok;
}
