// The bytes a context store holds, as /metrics reports them: on real files, and on the real registry and Redis
// with two API instances storing and deleting the same contexts at once: each context counts once, a delete
// takes it away again, and a context already there before counting began is counted.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { RegistryContextStore } from '../../src/contexts/registry-store.js';
import { LocalContextStore } from '../../src/contexts/store.js';
import { createRedis } from '../../src/redis.js';
import { RegistryClient } from '../../src/registry/client.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { contextArchive } from '../support/archives.js';
import { deleteKeys, REDIS_URL, REGISTRY, uniqueName } from '../support/stack.js';

const limits = { unpackedBytes: 1 << 30, entries: 100_000 };
const dirs: string[] = [];
const redis = createRedis(REDIS_URL, 'test-context-bytes');
const prefix = `t-ctxbytes-${randomBytes(4).toString('hex')}`;
after(async () => {
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  await deleteKeys(REDIS_URL, prefix);
  redis.disconnect();
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-ctxbytes-'));
  dirs.push(dir);
  return dir;
}

const archive = (text: string) => contextArchive(`FROM scratch\n# ${text} ${randomBytes(8).toString('hex')}\n`);

describe('context store bytes', () => {
  it('on one host: counts what the directory held, then each new context once, and less after a delete', async () => {
    const dir = await tempDir();
    const first = await archive('before counting');
    const earlier = await new LocalContextStore(dir, 1 << 30, limits).put(Readable.from(first));
    const store = new LocalContextStore(dir, 1 << 30, limits);
    assert.equal(await store.storedBytes(), first.length);

    const second = await archive('second');
    const stored = await store.put(Readable.from(second));
    await store.put(Readable.from(second));
    assert.equal(await store.storedBytes(), first.length + second.length, 'the same upload twice counts once');

    await store.delete(earlier.digest);
    await store.delete(earlier.digest);
    assert.equal(await store.storedBytes(), second.length, 'a delete counts once');
    await store.delete(stored.digest);
    assert.equal(await store.storedBytes(), 0);
  });

  it('in the registry: two instances storing the same contexts at once count each once, deletes take them away', async () => {
    const repository = parseImageReference(`${REGISTRY}/${uniqueName('ctxbytes')}/contexts`);
    const instance = async () => new RegistryContextStore({ redis, prefix, registry: new RegistryClient(), repository, stagingDir: await tempDir(), maxBytes: 1 << 30, limits });
    const [a, b] = [await instance(), await instance()];
    assert.equal(await a.storedBytes(), 0);

    const one = await archive('one');
    const two = await archive('two');
    const stored = await Promise.all([a.put(Readable.from(one)), b.put(Readable.from(one)), a.put(Readable.from(two)), b.put(Readable.from(two))]);
    assert.equal(await a.storedBytes(), one.length + two.length);
    assert.equal(await b.storedBytes(), one.length + two.length, 'every instance reads the same count');

    await Promise.all([a.delete(stored[0]!.digest), b.delete(stored[0]!.digest)]);
    assert.equal(await b.storedBytes(), two.length);
    await a.delete(stored[2]!.digest);
    assert.equal(await a.storedBytes(), 0);
  });
});
