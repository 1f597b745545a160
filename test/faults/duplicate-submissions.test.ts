// Duplicate submissions: POST /v1/runs with an Idempotency-Key answers the run the key first created, and
// refuses the key with another body; and the CLI, whose first POST reaches the API but whose answer is lost
// (the connection cut by a proxy in between, as a flaky network or load balancer would), sends it again
// under the same key, so the build is queued once.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiFetch, uploadContext } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { folderWith, runSlipway } from '../support/cli.js';
import { BASE_IMAGE, ROOT, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

describe('duplicate submissions', () => {
  let stack: TestStack;
  before(async () => {
    // No worker: the runs only need to be queued.
    stack = await startTestStack({ worker: false });
  });
  after(async () => {
    await stack?.close();
  });

  const post = async (body: unknown, key?: string) => {
    const res = await apiFetch(`${stack.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const runCount = async () => ((await (await apiFetch(`${stack.url}/v1/runs?top=1000`)).json()) as { runs: unknown[] }).runs.length;

  it('answers the same run for the same key and body, and 409 for another body', async () => {
    const up = await uploadContext(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\n`));
    const body = { context: up.body.digest, images: [`dup/${uniqueName('a')}:v1`], noPush: true };
    const key = uniqueName('key');
    const before = await runCount();
    const first = await post(body, key);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const again = await post(body, key);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.id, first.body.id);
    const other = await post({ ...body, images: ['dup/other:v1'] }, key);
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'idempotency_key_reused');
    const bad = await post(body, 'has spaces in it');
    assert.equal(bad.status, 400);
    assert.equal(await runCount(), before + 1, 'one run for the one key');
    // Without a key every POST is a new run, as before.
    assert.notEqual((await post(body)).body.id, (await post(body)).body.id);
  });

  it('the CLI retries a submission whose answer was lost without queueing it twice', async () => {
    const proxy = await answerLosingProxy(new URL(stack.url).port);
    const dir = await folderWith({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo ${uniqueName('cut')}\n` });
    const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-cache-'));
    try {
      const before = await runCount();
      const res = await runSlipway(['build', '--no-push', '--no-wait', dir], { cwd: ROOT, env: { ...stack.env, SLIPWAY_SERVER: proxy.url, SLIPWAY_CACHE_DIR: cacheDir } });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(proxy.cut(), 1, 'the first answer to POST /v1/runs was cut');
      const id = res.stdout.match(/Run ID: (r[0-9a-z]{7})/)?.[1];
      assert.ok(id, res.stdout);
      assert.equal(await runCount(), before + 1, 'the build was queued once');
    } finally {
      await proxy.close();
      await fs.rm(dir, { recursive: true, force: true });
      await fs.rm(cacheDir, { recursive: true, force: true });
    }
  });
});

/**
 * A TCP proxy to the API that lets the first POST /v1/runs through and cuts the connection as the answer
 * comes back: the run is created, the client never hears of it.
 */
async function answerLosingProxy(apiPort: string): Promise<{ url: string; cut: () => number; close: () => Promise<void> }> {
  let cuts = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const api = net.connect(Number(apiPort), '127.0.0.1');
    sockets.add(client).add(api);
    let submitting = false;
    client.on('data', (d: Buffer) => {
      if (cuts === 0 && d.toString('latin1').startsWith('POST /v1/runs ')) submitting = true;
      api.write(d);
    });
    api.on('data', (d: Buffer) => {
      if (submitting && cuts === 0) {
        cuts++;
        client.destroy();
        api.destroy();
        return;
      }
      client.write(d);
    });
    for (const s of [client, api]) s.on('error', () => undefined).on('close', () => (client.destroy(), api.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cut: () => cuts,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
