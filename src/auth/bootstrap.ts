// The first start: with no token at all, nobody could create one, so the API makes an admin token named
// `admin` and writes it to a file only the API's user can read; `npm run up` logs the CLI in with it.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { TokenStore } from './store.js';
import { issueToken } from './tokens.js';

export async function bootstrapAdminToken(tokens: TokenStore, file: string, log: Logger): Promise<void> {
  if ((await tokens.count()) > 0) return;
  let token: string;
  try {
    token = (await issueToken(tokens, { name: 'admin', role: 'admin' })).token;
  } catch (err) {
    // Another API instance starting at the same time won the name: it writes the file.
    if ((err as { code?: string }).code === 'token_exists') return;
    throw err;
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  // Written beside and renamed, so a reader never sees half a token; created 0600 so it is never readable by others.
  const partial = `${file}.${process.pid}.partial`;
  await fs.writeFile(partial, token + '\n', { mode: 0o600 });
  await fs.rename(partial, file);
  log.info({ file }, 'created the first admin token');
}
