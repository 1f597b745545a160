// Where the server's secret keys come from: SLIPWAY_SECRET_KEY, or the key file (one base64 key a line, the
// first sealing, the others still opening, for rotation). The API creates the file, mode 0600, when it is
// missing; workers only read it, so a worker with another data directory fails loudly instead of sealing
// with a key nobody else has.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Keyring, SealedError } from './sealed.js';

export interface KeySettings {
  /** A base64 key given directly (SLIPWAY_SECRET_KEY); wins over the file. */
  key?: string;
  /** SLIPWAY_SECRET_KEY_FILE. */
  keyFile: string;
}

/** The keyring the settings name; `create`: write a new key file when there is none. */
export async function loadKeyring(settings: KeySettings, opts: { create: boolean }): Promise<Keyring> {
  if (settings.key) return new Keyring([decodeKey(settings.key, 'SLIPWAY_SECRET_KEY')]);
  let text = await readKeyFile(settings.keyFile);
  if (text === undefined && opts.create) text = await createKeyFile(settings.keyFile);
  if (text === undefined) throw new SealedError(`no secret key: ${settings.keyFile} does not exist; start the API once (it creates the file) or set SLIPWAY_SECRET_KEY_FILE to the API's key file`);
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  return new Keyring(lines.map((line, i) => decodeKey(line, `${settings.keyFile} line ${i + 1}`)));
}

/** A base64 key of 32 bytes; the message names where it came from, never what it holds. */
export function decodeKey(text: string, where: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || key.length !== 32) throw new SealedError(`${where}: expected a base64 key of 32 bytes (e.g. from: head -c 32 /dev/urandom | base64)`);
  return key;
}

async function readKeyFile(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Writes a fresh key beside the file and links it into place: link() fails when the file exists, so two
 * processes starting at once agree on one key, and nobody ever reads a half-written file.
 */
async function createKeyFile(file: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const text = `${Keyring.generateKey().toString('base64')}\n`;
  // Random, not the time: two loads in one process within a millisecond would otherwise share a name.
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(temp, text, { mode: 0o600, flag: 'wx' });
  try {
    await fs.link(temp, file);
    return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return fs.readFile(file, 'utf8');
  } finally {
    await fs.rm(temp, { force: true });
  }
}
