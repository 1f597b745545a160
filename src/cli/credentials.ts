// What `slipway login` saves: the server and its token, in a file only the user can read (0600, in a 0700
// folder). Read at every command that talks to the API, so it stays a plain JSON read with no schema library.
import fs from 'node:fs';
import path from 'node:path';

export interface Credentials {
  server: string;
  token: string;
}

/** The saved login, or undefined when there is none (or the file is not one this CLI wrote). */
export function readCredentials(file: string): Credentials | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<Credentials>;
    return typeof value.server === 'string' && typeof value.token === 'string' ? { server: value.server, token: value.token } : undefined;
  } catch {
    return undefined;
  }
}

export function writeCredentials(file: string, credentials: Credentials): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Created 0600 beside the file and renamed over it: the token is never readable by others, not even briefly.
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(partial, file);
}

/** Removes the saved login; false when there was none. */
export function removeCredentials(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
