// A task's git token at rest: whoever reads Redis (its AOF, a dump, a neighbour reaching its port) finds no
// token that opens the repository, while the API and the worker still clone the private repository with it.
// A token stored in clear by an older version still works, and is sealed the first time it is read.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRedis } from '../../src/redis.js';
import { SlipwayKeys } from '../../src/store/keys.js';
import { apiFetch, waitForRun } from '../support/api.js';
import { GitServer } from '../support/git-server.js';
import { BASE_IMAGE, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

describe('git tokens at rest', () => {
  const redis = createRedis(process.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379', 'git-tokens-test');
  const token = `tok-${uniqueName('at-rest')}`;
  let stack: TestStack;
  let git: GitServer;

  before(async () => {
    git = await GitServer.start({ daemon: false });
    await git.createRepo('private', { token });
    await git.commit('private', { Dockerfile: `FROM ${BASE_IMAGE}\nCOPY marker /marker\n`, marker: 'private\n' }, 'first');
    stack = await startTestStack({ env: { SLIPWAY_GIT_ALLOW_INSECURE: '1', SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1' } });
  });
  after(async () => {
    await stack?.close();
    await git?.stop();
    redis.disconnect();
  });

  /** Every string value under the stack's prefix, as anyone reading Redis sees it. */
  async function storedStrings(): Promise<string[]> {
    const values: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${stack.prefix}:*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) if ((await redis.type(key)) === 'string') values.push((await redis.get(key)) ?? '');
    } while (cursor !== '0');
    return values;
  }

  async function runTask(name: string): Promise<void> {
    const started = await apiFetch(`${stack.url}/v1/tasks/${name}/runs`, { method: 'POST' });
    const body = (await started.json()) as { id: string };
    assert.equal(started.status, 202, JSON.stringify(body));
    const run = await waitForRun(stack.url, body.id);
    assert.equal(run.status, 'succeeded', run.error);
  }

  it('is sealed in Redis, and opens for the API and the worker', async () => {
    const name = uniqueName('private');
    const created = await apiFetch(`${stack.url}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, context: `${git.httpUrl('private')}#main`, noPush: true, commitTrigger: false, gitToken: token }),
    });
    assert.equal(created.status, 201, await created.text());
    const stored = await redis.get(new SlipwayKeys(stack.prefix).taskToken(name));
    assert.ok(stored, 'the task has a stored token');
    assert.ok(!(await storedStrings()).some((v) => v.includes(token)), 'no value in Redis holds the token');
    // The API resolves the branch head with it (ls-remote), the worker clones with it.
    await runTask(name);
  });

  it('stored in clear by an older version, still opens the repository and is sealed once read', async () => {
    const name = uniqueName('legacy');
    const created = await apiFetch(`${stack.url}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, context: `${git.httpUrl('private')}#main`, noPush: true, commitTrigger: false, gitToken: 'replaced-below' }),
    });
    assert.equal(created.status, 201);
    const key = new SlipwayKeys(stack.prefix).taskToken(name);
    await redis.set(key, token);
    await runTask(name);
    const after = await redis.get(key);
    assert.ok(after && !after.includes(token), 'the clear token was sealed when it was read');
    await runTask(name);
  });
});
