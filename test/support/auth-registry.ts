// A registry that needs a login: Debian's docker-registry with htpasswd auth (bcrypt, as `htpasswd -B` writes
// it) over plain HTTP on a free loopback port, its config and password file in a temporary directory. Images
// are copied into it through Slipway's own registry client, logged in, so no daemon holds them beforehand.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { RegistryClient } from '../../src/registry/client.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { startRegistry, type TestRegistry } from './registry.js';

export interface AuthRegistry extends TestRegistry {
  username: string;
  password: string;
  /** A client logged in as that user. */
  client: RegistryClient;
  /** Copies an image (one manifest, its config and layers) from an open registry into this one. */
  copyFrom(source: string, target: string): Promise<string>;
}

export async function startAuthRegistry(username: string, password: string): Promise<AuthRegistry> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-auth-registry-'));
  const htpasswd = path.join(dir, 'htpasswd');
  await fs.writeFile(htpasswd, `${username}:${bcrypt.hashSync(password, 6)}\n`, { mode: 0o600 });
  let registry: TestRegistry;
  try {
    registry = await startRegistry({ htpasswd });
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
  const client = new RegistryClient({ credentials: (host) => (host === registry.host ? { username, password } : undefined) });
  return {
    host: registry.host,
    username,
    password,
    client,
    async copyFrom(source, target) {
      const from = parseImageReference(source);
      const to = parseImageReference(target);
      const manifest = await client.getManifest(from);
      if (!('layers' in manifest.body)) throw new Error(`${source} is an index; copy one platform's manifest`);
      for (const blob of [manifest.body.config, ...manifest.body.layers]) await client.pushBlob(to, await client.getBlob(from, blob.digest));
      return client.putManifest(to, manifest.raw, manifest.mediaType);
    },
    async stop() {
      await registry.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
