// A registry of a test's own: Debian's CNCF distribution registry on a free loopback port, storing in a
// temporary directory, with notifications sent to a given API (or none, for detection by polling).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './stack.js';

export interface TestRegistry {
  /** `127.0.0.1:<port>`: what image names start with. */
  host: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  notify?: { url: string; token: string };
  port?: number;
  /** An htpasswd file (bcrypt): every call then needs one of its logins. */
  htpasswd?: string;
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-registry-'));
  const port = opts.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const notifications = opts.notify
    ? `notifications:
  endpoints:
    - name: slipway-test
      url: ${opts.notify.url}/v1/webhooks/registry
      headers:
        Authorization: [Bearer ${opts.notify.token}]
      timeout: 2s
      threshold: 3
      backoff: 1s
`
    : '';
  const config = path.join(dir, 'config.yml');
  await fs.writeFile(
    config,
    `version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: ${dir}/storage
  delete:
    enabled: true
http:
  addr: ${host}
${opts.htpasswd ? `auth:\n  htpasswd:\n    realm: slipway-test\n    path: ${opts.htpasswd}\n` : ''}${notifications}`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`registry exited: ${stderr}`);
    // A registry with auth answers 401 until given a login: it is up all the same.
    if (await fetch(`http://${host}/v2/`).then((r) => r.ok || (opts.htpasswd !== undefined && r.status === 401), () => false)) break;
    if (i > 200) throw new Error(`registry did not start on ${host}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
