// Pure parsers for command-line values: KEY=VALUE build args, timeouts, platforms, image names, server URLs,
// run ids, list filters, on/off switches. Each throws a UsageError naming the flag; secret values never
// appear in a message. The task-specific ones (names, git contexts, schedules, tokens) are in task-flags.ts.
import { formatPlatform, parsePlatform } from '../platforms.js';
import { RUN_STATUSES, type RunStatus } from '../runs/status.js';
import { ARG_NAME, LABEL_KEY, MAX_ARG_NAME, MAX_ARG_VALUE, MAX_ARGS, MAX_IMAGE, MAX_LABEL_KEY, MAX_LABEL_VALUE, MAX_LABELS } from '../contract/limits.js';
import { UsageError } from './errors.js';

/** No server accepts more: SLIPWAY_MAX_TIMEOUT_SECONDS is capped at a day. */
export const MAX_TIMEOUT_SECONDS = 86_400;

/** Shows a bit of what the user typed, safely quoted and cut short. */
export function quote(input: string, max = 60): string {
  return JSON.stringify(input.length > max ? `${input.slice(0, max)}…` : input);
}

/** Parses repeated `KEY=VALUE` flags into a record (the last one wins, as in docker build). */
export function parseKeyValues(flag: string, inputs: readonly string[], opts: { secret?: boolean } = {}): Record<string, string> {
  if (inputs.length > MAX_ARGS) throw new UsageError(`${flag}: at most ${MAX_ARGS} are accepted, got ${inputs.length}`);
  const pairs = new Map<string, string>();
  for (const input of inputs) {
    const [key, value] = parseKeyValue(flag, input, opts);
    pairs.set(key, value);
  }
  // Object.fromEntries defines own properties, so a key like __proto__ stays a plain key.
  return Object.fromEntries(pairs);
}

export function parseKeyValue(flag: string, input: string, opts: { secret?: boolean } = {}): [string, string] {
  const eq = input.indexOf('=');
  // A secret flag's text may be the secret itself (KEY= forgotten), so it is never echoed.
  const shown = opts.secret ? '' : ` ${quote(input)}`;
  if (eq === -1) throw new UsageError(`${flag}${shown}: expected KEY=VALUE`);
  const key = input.slice(0, eq);
  const value = input.slice(eq + 1);
  if (key === '') throw new UsageError(`${flag}${shown}: the name before = is empty`);
  if (key.length > MAX_ARG_NAME) throw new UsageError(`${flag}: the name is longer than ${MAX_ARG_NAME} characters`);
  if (!ARG_NAME.test(key)) {
    throw new UsageError(`${flag} ${quote(key)}: a build-arg name is letters, digits and _, not starting with a digit`);
  }
  if (value.length > MAX_ARG_VALUE) throw new UsageError(`${flag} ${key}: the value is longer than ${MAX_ARG_VALUE} characters`);
  return [key, value];
}

/** Repeated `--label KEY=VALUE` (or `KEY`, an empty value, as docker build takes it); the last one of a key wins. */
export function parseLabels(inputs: readonly string[], flag = '--label'): Record<string, string> {
  if (inputs.length > MAX_LABELS) throw new UsageError(`${flag}: at most ${MAX_LABELS} are accepted, got ${inputs.length}`);
  const labels = new Map<string, string>();
  for (const input of inputs) {
    const eq = input.indexOf('=');
    const key = eq === -1 ? input : input.slice(0, eq);
    const value = eq === -1 ? '' : input.slice(eq + 1);
    if (key === '') throw new UsageError(`${flag} ${quote(input)}: the key before = is empty`);
    if (key.length > MAX_LABEL_KEY) throw new UsageError(`${flag}: the key is longer than ${MAX_LABEL_KEY} characters`);
    if (!LABEL_KEY.test(key)) throw new UsageError(`${flag} ${quote(key)}: a label key has no spaces or control characters`);
    if (value.length > MAX_LABEL_VALUE) throw new UsageError(`${flag} ${key}: the value is longer than ${MAX_LABEL_VALUE} characters`);
    labels.set(key, value);
  }
  return Object.fromEntries(labels);
}

/** A positive whole number of seconds, at most a day. */
export function parseTimeout(input: string, flag = '--timeout'): number {
  if (!/^[0-9]{1,12}$/.test(input)) throw new UsageError(`${flag} ${quote(input)}: expected a whole number of seconds, e.g. 600`);
  const seconds = Number(input);
  if (seconds < 1) throw new UsageError(`${flag} ${quote(input)}: must be at least 1 second`);
  if (seconds > MAX_TIMEOUT_SECONDS) throw new UsageError(`${flag} ${quote(input)}: must be at most ${MAX_TIMEOUT_SECONDS} seconds (a day)`);
  return seconds;
}

/**
 * `os/arch[/variant]` (or a bare arch), or a comma-separated list of them, normalised the way buildx does and
 * without repeats; whether a worker serves each is the API's call.
 */
export function parsePlatformFlag(input: string, flag = '--platform'): string {
  const names = input.split(',').map((p) => p.trim());
  if (names.length > 16) throw new UsageError(`${flag}: at most 16 platforms, got ${names.length}`);
  try {
    return [...new Set(names.map((name) => formatPlatform(parsePlatform(name))))].join(',');
  } catch (err) {
    throw new UsageError(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** An image name as given to -t; its meaning (registry, tag) is checked by the API. */
export function parseImage(input: string, flag = '--tag'): string {
  if (input === '') throw new UsageError(`${flag}: the image name is empty`);
  if (input.length > MAX_IMAGE) throw new UsageError(`${flag} ${quote(input)}: longer than ${MAX_IMAGE} characters`);
  if (/[\s\p{Cc}]/u.test(input)) throw new UsageError(`${flag} ${quote(input)}: an image name has no spaces or control characters`);
  return input;
}

/** The API's base URL: http(s), no credentials, query or fragment; returned without a trailing slash. */
export function parseServerUrl(input: string, flag = '--server'): string {
  // A forgotten scheme is the common slip; `localhost:8080` would even parse, as the scheme `localhost:`.
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(input)) {
    const guess = /^[\w.[\]:-]+$/.test(input) ? `http://${input}` : 'http://127.0.0.1:8080';
    throw new UsageError(`${flag} ${quote(input)}: expected an http:// or https:// URL, e.g. ${guess}`);
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UsageError(`${flag} ${quote(input)}: not a URL; expected e.g. http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${flag} ${quote(input)}: expected an http:// or https:// URL`);
  }
  if (url.username || url.password) throw new UsageError(`${flag}: credentials in the URL are not supported`);
  if (url.search || url.hash) throw new UsageError(`${flag} ${quote(input)}: the URL must not have a query or fragment`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** A run id as the API prints it; checked so a typo cannot turn into another path. */
export function parseRunId(input: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(input)) throw new UsageError(`${quote(input)} is not a run id (e.g. r00001a)`);
  return input;
}

export function parseTop(input: string, flag = '--top'): number {
  if (!/^[0-9]{1,6}$/.test(input) || Number(input) < 1 || Number(input) > 1000) {
    throw new UsageError(`${flag} ${quote(input)}: expected a whole number from 1 to 1000`);
  }
  return Number(input);
}

export function parseStatus(input: string, flag = '--status'): RunStatus {
  return parseChoice(input, RUN_STATUSES, flag);
}

/** `on` or `off`, exactly: a switch that silently read `yes` or `0` the wrong way would change what runs. */
export function parseOnOff(input: string, flag: string): boolean {
  if (input === 'on') return true;
  if (input === 'off') return false;
  throw new UsageError(`${flag} ${quote(input)}: expected on or off`);
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(input: string, choices: readonly T[], flag: string): T {
  if (!(choices as readonly string[]).includes(input)) throw new UsageError(`${flag} ${quote(input)}: expected one of ${choices.join(', ')}`);
  return input as T;
}
