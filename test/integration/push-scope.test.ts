// A token limited to some repositories pushes only there, on the real API, worker and registry: the API refuses
// what it can see at submit, and the worker checks again right before anything is built or pushed, for the
// names only the worker renders (a task's own task file, read from git on the worker). Also: Idempotency-Keys
// are kept per token, so one token's key can neither answer nor block another's submission.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { registryDigest, runLog, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { GitServer } from '../support/git-server.js';
import { BASE_IMAGE, REGISTRY, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

describe('repository scopes, checked again by the worker', () => {
  let stack: TestStack;
  let git: GitServer;
  const space = uniqueName('scope');
  const teamA = `${space}/team-a`;
  const teamB = `${space}/team-b`;
  let scoped: string;
  let other: string;

  async function call(token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const binary = body instanceof Buffer;
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': binary ? 'application/gzip' : 'application/json' }), ...headers },
      body: body === undefined ? undefined : binary ? new Uint8Array(body) : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const runCount = async () => (await call(stack.token, 'GET', '/v1/runs?top=1000')).body.runs.length as number;
  async function upload(token: string, files: Record<string, string>): Promise<string> {
    const res = await call(token, 'POST', '/v1/contexts', await contextArchive(`FROM ${BASE_IMAGE}\nCOPY nonce /nonce\n`, { nonce: randomUUID(), ...files }));
    assert.ok(res.status === 201 || res.status === 200, JSON.stringify(res.body));
    return res.body.digest;
  }
  async function mint(role: string, repositories: string[]): Promise<string> {
    const res = await call(stack.token, 'POST', '/v1/tokens', { name: uniqueName('tok'), role, repositories });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.token;
  }

  before(async () => {
    [stack, git] = await Promise.all([startTestStack({ env: { SLIPWAY_GIT_ALLOW_INSECURE: '1', SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1' } }), GitServer.start({ daemon: false })]);
    scoped = await mint('builder', [`${teamA}/*`]);
    other = await mint('builder', []);
  });
  after(async () => {
    await Promise.all([stack?.close(), git?.stop()]);
  });

  it('a scoped builder pushes inside its scope: the worker lets its own repositories through', async () => {
    const res = await call(scoped, 'POST', '/v1/runs', { context: await upload(scoped, {}), images: [`${REGISTRY}/${teamA}/app:v1`] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = await waitForRun(stack.url, res.body.id);
    assert.equal(run.status, 'succeeded', await runLog(stack.url, run.id));
    assert.ok(await registryDigest(REGISTRY, `${teamA}/app`, 'v1'), 'the image is in the registry');
  });

  it("refuses a task file's push steps outside the scope at submit, even with noPush", async () => {
    const taskFile = `version: v1.1.0\nsteps:\n  - build: -t ${REGISTRY}/${teamB}/app:v1 .\n  - push: [${REGISTRY}/${teamB}/app:v1]\n`;
    const context = await upload(scoped, { 'acb.yaml': taskFile });
    const before = await runCount();
    for (const noPush of [false, true]) {
      const res = await call(scoped, 'POST', '/v1/runs', { context, taskFile: 'acb.yaml', noPush });
      assert.equal(res.status, 403, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'repository_forbidden');
      assert.match(res.body.error.message, new RegExp(`${teamB}/app`));
    }
    assert.equal(await runCount(), before, 'nothing was queued');
  });

  it("fails a task's run on the worker when its task file, read from git there, pushes outside the scope; nothing is pushed", async () => {
    const repo = uniqueName('scoped-steps');
    await git.createRepo(repo);
    await git.commit(repo, {
      'acb.yaml': `version: v1.1.0\nsteps:\n  - build: -t ${REGISTRY}/${teamB}/{{.Run.TaskName}}:v1 .\n  - push: [${REGISTRY}/${teamB}/{{.Run.TaskName}}:v1]\n`,
      Dockerfile: `FROM ${BASE_IMAGE}\n`,
    });
    const task = uniqueName('steps');
    // An admin's task: the API cannot see what its file pushes until a worker checks it out.
    const created = await call(stack.token, 'POST', '/v1/tasks', { name: task, context: `${git.httpUrl(repo)}#main`, dockerfile: 'acb.yaml', commitTrigger: false });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    const started = await call(scoped, 'POST', `/v1/tasks/${task}/runs`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitForRun(stack.url, started.body.id);
    const log = await runLog(stack.url, run.id);
    assert.equal(run.status, 'failed', log);
    assert.match(String(run.error), new RegExp(`may not push to ${REGISTRY}/${teamB}/${task}`));
    assert.equal(await registryDigest(REGISTRY, `${teamB}/${task}`, 'v1'), null, 'nothing was pushed');
    assert.doesNotMatch(log, /slipway: pushing/, 'no step ran before the check');

    // The same task run by an unlimited builder pushes: the check is the requester's, not the task's.
    const free = await call(other, 'POST', `/v1/tasks/${task}/runs`);
    const freeRun = await waitForRun(stack.url, free.body.id);
    assert.equal(freeRun.status, 'succeeded', await runLog(stack.url, freeRun.id));
    assert.ok(await registryDigest(REGISTRY, `${teamB}/${task}`, 'v1'));
  });

  it("keeps Idempotency-Keys per token: another token's same key queues its own run", async () => {
    const key = randomUUID();
    const body = { context: await upload(stack.token, {}), noPush: true };
    // The context belongs to its uploader: each token sends its own upload of the same bytes.
    const first = await call(stack.token, 'POST', '/v1/runs', body, { 'idempotency-key': key });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const again = await call(stack.token, 'POST', '/v1/runs', body, { 'idempotency-key': key });
    assert.deepEqual([again.status, again.body.id], [200, first.body.id], 'the same token gets its run back');

    const theirs = await call(other, 'POST', '/v1/runs', { ...body, context: await upload(other, {}) }, { 'idempotency-key': key });
    assert.equal(theirs.status, 202, JSON.stringify(theirs.body));
    assert.notEqual(theirs.body.id, first.body.id, "another token's key does not answer the first token's run");
    await Promise.all([waitForRun(stack.url, first.body.id), waitForRun(stack.url, theirs.body.id)]);
  });
});
