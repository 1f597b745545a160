// SLIPWAY_TLS_CERT_FILE / SLIPWAY_TLS_KEY_FILE: the API serves HTTPS itself, and the CLI talks to it trusting
// the certificate through NODE_EXTRA_CA_CERTS (and refuses it without).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { loadConfig } from '../../src/config.js';
import { cliCommand } from '../support/entry.js';
import { deleteKeys, REDIS_URL, ROOT, uniqueName } from '../support/stack.js';

function slipway(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [program, ...first] = cliCommand();
  const child = spawn(program, [...first, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('the API over HTTPS', () => {
  let dir: string;
  let api: ApiServer;
  const prefix = uniqueName('tls');

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
    api = await startApiServer(
      loadConfig({ SLIPWAY_PREFIX: prefix, SLIPWAY_DATA_DIR: path.join(dir, 'data'), SLIPWAY_API_PORT: '0', SLIPWAY_TLS_CERT_FILE: cert, SLIPWAY_TLS_KEY_FILE: key, SLIPWAY_LOG_LEVEL: 'silent' }),
    );
  });
  after(async () => {
    await api?.close();
    await deleteKeys(REDIS_URL, prefix);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('serves https, and the CLI trusting the certificate lists runs with its token', async () => {
    assert.match(api.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const token = (await fs.readFile(path.join(dir, 'data', 'admin-token'), 'utf8')).trim();
    const env: NodeJS.ProcessEnv = { ...process.env, SLIPWAY_TOKEN: token, SLIPWAY_SERVER: api.url, SLIPWAY_CACHE_DIR: path.join(dir, 'cache') };
    delete env.NODE_EXTRA_CA_CERTS;
    delete env.SLIPWAY_DEFERRED_CA_CERTS;
    const trusted = await slipway(['runs', 'list'], { ...env, NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') });
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.match(trusted.stderr, /No runs/);
    const untrusted = await slipway(['runs', 'list'], env);
    assert.equal(untrusted.code, 3);
    assert.match(untrusted.stderr, /certificate/);
  });
});
