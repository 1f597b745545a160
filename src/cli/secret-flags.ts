// `--secret` as docker build reads it: `id=ID[,src=PATH|,env=NAME][,type=file|env]`. The value is read here,
// on the user's machine, and sent with the run request; messages name the id, the file or the variable,
// never the value.
import fs from 'node:fs/promises';
import { namedVariable } from '../config.js';
import { MAX_SECRET, MAX_SECRETS, SECRET_ID } from '../contract/limits.js';
import { UsageError } from './errors.js';
import { quote } from './flags.js';

export interface SecretFlag {
  id: string;
  /** Where the value comes from: a file, or an environment variable. */
  from: { file: string } | { env: string };
}

/** One `--secret` flag; with neither src nor env, Docker reads the variable named like the id if it is set, else the file. */
export function parseSecretFlag(input: string, isSet: (variable: string) => boolean = () => false): SecretFlag {
  let id: string | undefined;
  let src: string | undefined;
  let env: string | undefined;
  let type: 'file' | 'env' | undefined;
  for (const field of input.split(',')) {
    const eq = field.indexOf('=');
    if (eq < 1) throw new UsageError(`--secret ${quote(input)}: ${quote(field)} is not key=value; expected id=ID,src=FILE or id=ID,env=VARIABLE`);
    const key = field.slice(0, eq).toLowerCase();
    const value = field.slice(eq + 1);
    if (key === 'id') id = value;
    else if (key === 'src' || key === 'source') src = value;
    else if (key === 'env') env = value;
    else if (key === 'type') {
      if (value !== 'file' && value !== 'env') throw new UsageError(`--secret ${quote(input)}: type ${quote(value)} is not supported; expected file or env`);
      type = value;
    } else throw new UsageError(`--secret ${quote(input)}: unknown key ${quote(key)}; expected id, src, env or type`);
  }
  if (!id) throw new UsageError(`--secret ${quote(input)}: id=… is missing`);
  if (!SECRET_ID.test(id)) throw new UsageError(`--secret ${quote(input)}: the id must be 1-128 letters, digits, _ . and -`);
  if (type === 'env' && env === undefined) [env, src] = [src ?? id, undefined];
  if (src !== undefined && env !== undefined) throw new UsageError(`--secret ${quote(input)}: give src or env, not both`);
  if (src !== undefined) return { id, from: { file: src } };
  if (env !== undefined) return { id, from: { env } };
  return { id, from: isSet(id) && type !== 'file' ? { env: id } : { file: id } };
}

/** Reads every `--secret`: id → value, all checked before anything is sent. */
export async function readSecretFlags(inputs: readonly string[], env: (name: string) => string | undefined = namedVariable): Promise<Record<string, string>> {
  if (inputs.length > MAX_SECRETS) throw new UsageError(`--secret: at most ${MAX_SECRETS} are accepted, got ${inputs.length}`);
  const values = new Map<string, string>();
  for (const input of inputs) {
    const flag = parseSecretFlag(input, (name) => env(name) !== undefined);
    if (values.has(flag.id)) throw new UsageError(`--secret: id ${flag.id} is given twice`);
    values.set(flag.id, await readSecret(flag, env));
  }
  return Object.fromEntries(values);
}

async function readSecret(flag: SecretFlag, env: (name: string) => string | undefined): Promise<string> {
  if ('env' in flag.from) {
    const value = env(flag.from.env);
    if (value === undefined) throw new UsageError(`--secret id=${flag.id}: the environment variable ${flag.from.env} is not set`);
    return checkSize(flag.id, value);
  }
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(flag.from.file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`--secret id=${flag.id}: cannot read ${quote(flag.from.file)}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`);
  }
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return checkSize(flag.id, text.decode(bytes));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--secret id=${flag.id}: ${quote(flag.from.file)} is not UTF-8 text; only text secrets are supported`);
  }
}

function checkSize(id: string, value: string): string {
  if (value.length > MAX_SECRET) throw new UsageError(`--secret id=${id}: the value is longer than ${MAX_SECRET} characters`);
  return value;
}
