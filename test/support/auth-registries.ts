// The stack's registries that need a login (scripts/stack.sh starts them): 127.0.0.1:5443 with htpasswd over
// TLS and 127.0.0.1:5444 with token auth, both under the stack's CA. Their users and password are in the data
// folder's auth-registries/credentials.json (0600), made at random by the stack.
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import type { Credentials } from '../../src/registry/auth.js';
import { ROOT } from './stack.js';

const credentialsSchema = z.object({
  password: z.string().min(8),
  tls: z.object({ registry: z.string(), username: z.string() }),
  token: z.object({ registry: z.string(), realm: z.url(), username: z.string(), expiredUser: z.string(), untrustedUser: z.string(), readerUser: z.string() }),
});

export type AuthRegistries = z.infer<typeof credentialsSchema> & {
  /** The stack's CA (PEM file) both registries and the realm have certificates from. */
  caFile: string;
  /** Basic credentials for `registry` only, as a CredentialsProvider gives them. */
  login(registry: string, username?: string, password?: string): (asked: string) => Credentials | undefined;
};

export function authRegistries(): AuthRegistries {
  const dir = path.join(process.env.SLIPWAY_DATA_DIR ?? path.join(ROOT, '.data'), 'auth-registries');
  let parsed: z.infer<typeof credentialsSchema>;
  try {
    parsed = credentialsSchema.parse(JSON.parse(readFileSync(path.join(dir, 'credentials.json'), 'utf8')));
  } catch (err) {
    throw new Error(`no usable ${dir}/credentials.json (run scripts/stack.sh up): ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    ...parsed,
    caFile: path.join(dir, 'ca.crt'),
    login: (registry, username = parsed.tls.username, password = parsed.password) => (asked) =>
      asked === registry ? { username, password } : undefined,
  };
}

/** A certs.d of the test's own (`<dir>/<host[:port]>/ca.crt`), trusting `caFile` for each registry given. */
export async function certsDir(caFile: string, registries: readonly string[]): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-certs-'));
  for (const registry of registries) {
    await fs.mkdir(path.join(dir, registry));
    await fs.copyFile(caFile, path.join(dir, registry, 'ca.crt'));
  }
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}
