// Secret values sealed for the queue: what one key sealed opens only with that key, for the same run, and
// unchanged; the key file is made once, mode 0600, and shared by whoever reads it after.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadKeyring } from '../../src/secrets/key-file.js';
import { Keyring, SealedError } from '../../src/secrets/sealed.js';
import { openAssembleJob, openJob, sealAssembleJob, sealJob } from '../../src/secrets/sealed-jobs.js';
import type { DockerfileJob } from '../../src/queue/jobs.js';

const SECRET = 'npm_token_4f1b9c2e7d';

describe('sealed values', () => {
  const keyring = new Keyring([Keyring.generateKey()]);

  it('opens what it sealed, and the sealed form does not contain the value', () => {
    const sealed = keyring.seal(SECRET, 'run-1');
    assert.equal(keyring.open(sealed, 'run-1'), SECRET);
    assert.ok(!JSON.stringify(sealed).includes(SECRET));
    assert.ok(!JSON.stringify(sealed).includes(Buffer.from(SECRET).toString('base64')));
    assert.notDeepEqual(keyring.seal(SECRET, 'run-1'), sealed, 'each seal has its own nonce');
  });

  it('refuses a tampered ciphertext, nonce or key id', () => {
    const sealed = keyring.seal(SECRET, 'run-1');
    const data = Buffer.from(sealed.data, 'base64');
    data[0]! ^= 1;
    assert.throws(() => keyring.open({ ...sealed, data: data.toString('base64') }, 'run-1'), SealedError);
    const iv = Buffer.from(sealed.iv, 'base64');
    iv[0]! ^= 1;
    assert.throws(() => keyring.open({ ...sealed, iv: iv.toString('base64') }, 'run-1'), SealedError);
    assert.throws(() => keyring.open({ ...sealed, kid: '0'.repeat(16) }, 'run-1'), /does not have/);
  });

  it('refuses a value sealed for another run', () => {
    assert.throws(() => keyring.open(keyring.seal(SECRET, 'run-1'), 'run-2'), /integrity/);
  });

  it('refuses a value sealed with another key, and opens it once that key is in the ring (rotation)', () => {
    const old = Keyring.generateKey();
    const sealed = new Keyring([old]).seal(SECRET, 'run-1');
    assert.throws(() => keyring.open(sealed, 'run-1'), SealedError);
    assert.equal(new Keyring([Keyring.generateKey(), old]).open(sealed, 'run-1'), SECRET);
  });
});

describe('sealed jobs', () => {
  const keyring = new Keyring([Keyring.generateKey()]);
  const job: DockerfileJob = {
    kind: 'dockerfile',
    runId: 'r0000001',
    source: { kind: 'context', digest: `sha256:${'a'.repeat(64)}` },
    platform: 'linux/amd64',
    timeoutSeconds: 60,
    dockerfile: 'Dockerfile',
    images: [],
    buildArgs: { PLAIN: 'visible' },
    secretBuildArgs: { TOKEN: SECRET },
    buildSecrets: { npmrc: `//registry/:_authToken=${SECRET}` },
    registryLogins: [{ host: 'registry.example.com', username: 'ci-bot', password: `pw-${SECRET}` }],
    noPush: true,
    daemonless: false,
  };

  it('queues no secret value in clear, and the worker gets the job back whole', () => {
    const queued = sealJob(job, keyring);
    const text = JSON.stringify(queued);
    assert.ok(!text.includes(SECRET));
    assert.ok(!('secretBuildArgs' in queued) && !('buildSecrets' in queued) && !('registryLogins' in queued));
    assert.ok(text.includes('visible'), 'plain build args stay readable');
    assert.deepEqual(openJob(queued, keyring), job);
  });

  it('refuses a job moved to another run id', () => {
    assert.throws(() => openJob({ ...sealJob(job, keyring), runId: 'r0000002' }, keyring), SealedError);
  });

  it('queues an index assembly with its registry logins sealed, and opens one queued before it carried any', () => {
    const assemble = { runId: 'r0000003', platforms: ['linux/amd64', 'linux/arm64'], images: ['registry.example.com/app:v1'], noPush: false, registryLogins: job.registryLogins };
    const queued = sealAssembleJob(assemble, keyring);
    assert.ok(!JSON.stringify(queued).includes(SECRET));
    assert.deepEqual(openAssembleJob(queued, keyring), assemble);
    const { registryLogins: _, ...older } = assemble;
    assert.deepEqual(openAssembleJob(older, keyring), { ...older, registryLogins: [] });
  });
});

describe('the key file', () => {
  it('is created once, mode 0600, and read back by every later reader', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-key-'));
    try {
      const keyFile = path.join(dir, 'data', 'secret.key');
      await assert.rejects(loadKeyring({ keyFile }, { create: false }), /does not exist/);
      const [a, b] = await Promise.all([loadKeyring({ keyFile }, { create: true }), loadKeyring({ keyFile }, { create: true })]);
      assert.equal((await fs.stat(keyFile)).mode & 0o777, 0o600);
      const reader = await loadKeyring({ keyFile }, { create: false });
      assert.equal(reader.open(a.seal(SECRET, 'x'), 'x'), SECRET);
      assert.equal(b.open(a.seal(SECRET, 'x'), 'x'), SECRET, 'two processes starting at once agree on one key');
      assert.deepEqual((await fs.readdir(path.dirname(keyFile))).sort(), ['secret.key']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('takes SLIPWAY_SECRET_KEY over the file, and refuses a key of the wrong size without echoing it', async () => {
    const key = Keyring.generateKey().toString('base64');
    const ring = await loadKeyring({ key, keyFile: '/nonexistent/secret.key' }, { create: false });
    assert.equal(new Keyring([Buffer.from(key, 'base64')]).open(ring.seal(SECRET, 'x'), 'x'), SECRET);
    await assert.rejects(loadKeyring({ key: 'c2hvcnQ=', keyFile: '/nonexistent' }, { create: false }), (err: Error) => /32 bytes/.test(err.message) && !err.message.includes('c2hvcnQ'));
  });
});
