// Contexts kept in the registry (SLIPWAY_CONTEXT_STORE=registry), so no host shares a disk with another: two
// API instances and a worker, each with a data directory of its own, on the real registry. An upload to one
// API is a blob in the registry and nothing on that host; the other API takes the submit; the worker builds
// from the blob. The TTL sweep deletes the blob. A blob damaged in the registry fails the run instead of
// building something else.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../src/registry/client.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { createRedis } from '../../src/redis.js';
import { SlipwayKeys } from '../../src/store/keys.js';
import { registryImageConfig, runLog, waitForRun } from '../support/api.js';
import { contextArchive, storedTarGz } from '../support/archives.js';
import { BASE_IMAGE, freePort, REGISTRY, ROOT, startTestStack, StackProcess, uniqueName, type TestStack } from '../support/stack.js';

describe('contexts kept in the registry, no disk shared between hosts', () => {
  const repository = `${uniqueName('ctx')}/contexts`;
  const repo = parseImageReference(`${REGISTRY}/${repository}`);
  const registry = new RegistryClient();
  let stack: TestStack;
  let workerDir: string;
  let secondDir: string;
  let second: StackProcess | undefined;
  let secondUrl: string;
  const redis = createRedis(process.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379', 'context-store-registry-test');

  async function call(url: string, method: string, route: string, body?: Buffer | object): Promise<{ status: number; body: any }> {
    const binary = body instanceof Buffer;
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${stack.token}`, ...(body === undefined ? {} : { 'content-type': binary ? 'application/gzip' : 'application/json' }) },
      body: body === undefined ? undefined : binary ? new Uint8Array(body) : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const storedFiles = async (dir: string) => (await fs.readdir(path.join(dir, 'contexts', 'sha256')).catch(() => [])).length;

  before(async () => {
    workerDir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-worker-'));
    secondDir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-api2-'));
    const env = { SLIPWAY_CONTEXT_STORE: 'registry', SLIPWAY_CONTEXT_REPOSITORY: repository, SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS: '1' };
    stack = await startTestStack({ env, workerEnv: { SLIPWAY_DATA_DIR: workerDir } });
    // A second API instance of the same deployment (same Redis prefix and key file), on a host of its own.
    const port = await freePort();
    secondUrl = `http://127.0.0.1:${port}`;
    second = new StackProcess('src/api/main.ts', [], { ...stack.env, SLIPWAY_DATA_DIR: secondDir, SLIPWAY_API_PORT: String(port) }, path.join(secondDir, 'api.log'));
    await second.lineWith('api listening', 'the second API');
  });
  after(async () => {
    await second?.stop();
    await stack?.close();
    await Promise.all([workerDir, secondDir].map((d) => d && fs.rm(d, { recursive: true, force: true })));
    redis.disconnect();
  });

  it('takes an upload on one API as a registry blob, a submit on another, and builds it on a worker that shares neither disk', async () => {
    const nonce = randomUUID();
    const archive = await contextArchive(`FROM ${BASE_IMAGE}\nCOPY nonce /nonce\nLABEL nonce=${nonce}\n`, { nonce });
    const up = await call(stack.url, 'POST', '/v1/contexts', archive);
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const { digest } = up.body;
    assert.ok(await registry.blobExists(repo, digest), 'the context is a blob in the registry');
    assert.equal(await storedFiles(stack.dataDir), 0, "nothing is kept on the receiving API's disk");
    assert.equal((await call(secondUrl, 'HEAD', `/v1/contexts/${digest}`)).status, 200, 'the other API instance has it too');

    const image = `${REGISTRY}/${uniqueName('ctx-app')}:v1`;
    const submitted = await call(secondUrl, 'POST', '/v1/runs', { context: digest, images: [image] });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const run = await waitForRun(stack.url, submitted.body.id);
    assert.equal(run.status, 'succeeded', await runLog(stack.url, run.id));
    const ref = parseImageReference(image);
    assert.equal((await registryImageConfig(REGISTRY, ref.repository, ref.tag!)).config?.Labels?.nonce, nonce, 'the pushed image is the uploaded context');
    assert.equal(await storedFiles(workerDir), 0, 'the worker kept no copy of the context');

    // The same bytes again: already stored, answered 200 on either instance.
    assert.equal((await call(secondUrl, 'POST', '/v1/contexts', archive)).status, 200);
  });

  it('fails a run whose blob was swapped in the registry for another valid context, instead of building that one', async () => {
    // Stored-block archives of equal-length files are of equal size: the registry serves the other one's bytes
    // under the first one's digest with the length it expects, and the archive itself is whole and valid.
    const context = (nonce: string) => storedTarGz([{ name: 'Dockerfile', content: `FROM ${BASE_IMAGE}\nLABEL nonce=${nonce}\n` }, { name: 'nonce', content: nonce }]);
    const [mine, other] = await Promise.all([context(randomUUID()), context(randomUUID())]);
    assert.equal(mine.length, other.length);
    const up = await call(stack.url, 'POST', '/v1/contexts', mine);
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const { digest } = up.body;
    const data = path.join(process.env.SLIPWAY_DATA_DIR ?? path.join(ROOT, '.data'), 'registry/storage/docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data');
    await fs.writeFile(data, other);
    const submitted = await call(stack.url, 'POST', '/v1/runs', { context: digest, noPush: true });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const run = await waitForRun(stack.url, submitted.body.id);
    assert.notEqual(run.status, 'succeeded', await runLog(stack.url, run.id));
    assert.match(String(run.error), new RegExp(`digest to something other than ${digest}`));
  });

  it('is swept from the registry and from the index once unused past the TTL', async () => {
    const up = await call(stack.url, 'POST', '/v1/contexts', await contextArchive(`FROM ${BASE_IMAGE}\n`, { nonce: randomUUID() }));
    const { digest } = up.body;
    const keys = new SlipwayKeys(stack.prefix);
    assert.ok((await redis.zscore(keys.contextsLastUsed, digest)) !== null, 'the upload is in the index');
    // Last used long ago: the sweep's own clock is the index's score.
    await redis.zadd(keys.contextsLastUsed, 1, digest);
    const { RegistryContextStore } = await import('../../src/contexts/registry-store.js');
    const { sweepContexts } = await import('../../src/contexts/context-store.js');
    const store = new RegistryContextStore({ redis, prefix: stack.prefix, registry, repository: repo, stagingDir: path.join(stack.dataDir, 'contexts'), maxBytes: 1e9, limits: { unpackedBytes: 1e9, entries: 1e6 } });
    const swept = await sweepContexts(store, 3600_000, new Set());
    assert.ok(swept.removed.includes(digest));
    assert.equal(await registry.blobExists(repo, digest), false, 'the blob is gone from the registry');
    assert.equal(await redis.zscore(keys.contextsLastUsed, digest), null);
    assert.equal((await call(stack.url, 'HEAD', `/v1/contexts/${digest}`)).status, 404);
  });
});
