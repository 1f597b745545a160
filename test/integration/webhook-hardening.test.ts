// Webhooks as an attacker uses them, through the real API, worker, git server and registry: a pull request
// must not push to the task's own tags unless the task opted in, and a captured push replayed under a new
// delivery id must not rebuild an old commit onto them.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { apiFetch, registryDigest, waitForRun } from '../support/api.js';
import { GitServer } from '../support/git-server.js';
import { BASE_IMAGE, REGISTRY, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

const SECRET = 'webhook-secret-for-hardening-tests';
type Payload = Record<string, any>;
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as { name: string; examples: Payload[] }[];
const prOpened = examples.find((d) => d.name === 'pull_request')!.examples.find((p) => p.action === 'opened')!;
const pushExample = examples.find((d) => d.name === 'push')!.examples.find((p) => p.ref?.startsWith('refs/heads/'))!;

function signed(url: string, event: string, payload: Payload, delivery = uniqueName('delivery')): Promise<Response> {
  const raw = JSON.stringify(payload);
  return fetch(`${url}/v1/webhooks/github`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}` },
    body: raw,
  });
}

async function send(url: string, method: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await apiFetch(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('webhook hardening', () => {
  let stack: TestStack;
  let git: GitServer;
  let repoUrl: string;
  const name = uniqueName('hook');
  const repo = `slipway-test/${name}`;

  before(async () => {
    git = await GitServer.start({ daemon: false });
    await git.createRepo('app');
    // COPY only: a build that starts no container is quick and needs no network.
    await git.commit('app', { Dockerfile: `FROM ${BASE_IMAGE}\nCOPY version.txt /version.txt\n`, 'version.txt': `first ${name}\n` }, 'first');
    repoUrl = git.httpUrl('app');
    stack = await startTestStack({ env: { SLIPWAY_GIT_ALLOW_INSECURE: '1', SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1', SLIPWAY_GITHUB_WEBHOOK_SECRETS: SECRET } });
  });
  after(async () => {
    await stack?.close();
    await git?.stop();
  });

  function pullRequest(head: string): Payload {
    const payload = structuredClone(prOpened);
    payload.action = 'opened';
    payload.repository.clone_url = repoUrl;
    payload.pull_request.head.sha = head;
    payload.pull_request.head.ref = 'feature';
    payload.pull_request.head.repo.clone_url = repoUrl;
    payload.pull_request.base.ref = 'main';
    return payload;
  }

  it("a pull request's run pushes nothing to the task's tags; a task that names pull-request tags gets only those", async () => {
    const tags = { production: `${REGISTRY}/${repo}:production` };
    const plain = `${name}-plain`;
    const prTagged = `${name}-prtag`;
    for (const [task, extra] of [
      [plain, {}],
      [prTagged, { pullRequestImages: [`${REGISTRY}/${repo}:pr-{{.Run.ID}}`] }],
    ] as const) {
      const created = await send(`${stack.url}/v1/tasks`, 'POST', { name: task, context: `${repoUrl}#main`, images: [tags.production], commitTrigger: false, prTrigger: true, ...extra });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
    await git.branch('app', 'feature', (await git.resolve('app', 'refs/heads/main'))!);
    const head = await git.commit('app', { 'version.txt': `from a pull request ${name}\n` }, 'feature work', { branch: 'feature' });

    const res = await signed(stack.url, 'pull_request', pullRequest(head));
    const answer = (await res.json()) as { status: string; runs: string[] };
    assert.equal(answer.status, 'queued', JSON.stringify(answer));
    assert.equal(answer.runs.length, 2);
    const runs = await Promise.all(answer.runs.map((id) => waitForRun(stack.url, id)));
    for (const run of runs) assert.equal(run.status, 'succeeded', run.error);
    const byTask = Object.fromEntries(runs.map((r) => [r.task, r as unknown as { id: string; request: { noPush: boolean; images: string[] }; outputImages: { tag: string }[] }]));

    assert.equal(byTask[plain]!.request.noPush, true, 'a pull-request run of a task that did not opt in does not push');
    assert.deepEqual(byTask[plain]!.outputImages, []);
    const tagged = byTask[prTagged]!;
    assert.deepEqual(tagged.request.images, [`${REGISTRY}/${repo}:pr-${tagged.id}`]);
    assert.deepEqual(tagged.outputImages.map((o: { tag: string }) => o.tag), [`pr-${tagged.id}`]);
    assert.ok(await registryDigest(REGISTRY, repo, `pr-${tagged.id}`), 'the pull-request tag is in the registry');
    assert.equal(await registryDigest(REGISTRY, repo, 'production'), null, "no pull-request run pushed to the task's own tag");

    // Opting in is explicit, and a task file cannot name pull-request tags its steps would not push.
    const optIn = await send(`${stack.url}/v1/tasks/${plain}`, 'PATCH', { pullRequestPush: true });
    assert.equal(optIn.status, 200, JSON.stringify(optIn.body));
    assert.equal(optIn.body.pullRequestPush, true);
    const taskFile = await send(`${stack.url}/v1/tasks`, 'POST', { name: `${name}-file`, context: `${repoUrl}#main`, dockerfile: 'acb.yaml', prTrigger: true, pullRequestImages: [`${REGISTRY}/${repo}:pr`] });
    assert.equal(taskFile.status, 400, JSON.stringify(taskFile.body));
    for (const task of [plain, prTagged]) await send(`${stack.url}/v1/tasks/${task}`, 'DELETE');
  });

  function push(sha: string): Payload {
    const payload = structuredClone(pushExample);
    payload.ref = 'refs/heads/main';
    payload.after = sha;
    payload.deleted = false;
    payload.repository.clone_url = repoUrl;
    return payload;
  }

  it('a captured push replayed under a new delivery id does not rebuild its old commit onto the tags', async () => {
    const task = `${name}-replay`;
    const image = `${REGISTRY}/${repo}:main`;
    assert.equal((await send(`${stack.url}/v1/tasks`, 'POST', { name: task, context: `${repoUrl}#main`, images: [image] })).status, 201);
    const built = async (payload: Payload): Promise<string> => {
      const answer = (await (await signed(stack.url, 'push', payload)).json()) as { status: string; runs: string[] };
      assert.equal(answer.status, 'queued', JSON.stringify(answer));
      const run = await waitForRun(stack.url, answer.runs[0]!);
      assert.equal(run.status, 'succeeded', run.error);
      return (await registryDigest(REGISTRY, repo, 'main'))!;
    };
    const old = await git.commit('app', { 'version.txt': `old ${name}\n` }, 'old');
    const captured = push(old);
    const oldDigest = await built(captured);
    const current = await git.commit('app', { 'version.txt': `current ${name}\n` }, 'current');
    const currentDigest = await built(push(current));
    assert.notEqual(currentDigest, oldDigest);

    // The same signed body, a new X-GitHub-Delivery: the signature still holds, the commit is not built again.
    const replay = await signed(stack.url, 'push', captured, uniqueName('replayed'));
    assert.equal(replay.status, 200);
    const answer = (await replay.json()) as { status: string; reason: string };
    assert.equal(answer.status, 'ignored', JSON.stringify(answer));
    assert.match(answer.reason, new RegExp(`${task}: commit ${old} was already built for refs/heads/main`));
    const runs = (await send(`${stack.url}/v1/tasks/${task}/runs`, 'GET')).body.runs as unknown[];
    assert.equal(runs.length, 2, 'no third run');
    assert.equal(await registryDigest(REGISTRY, repo, 'main'), currentDigest, 'the tag still holds the current commit');
    await send(`${stack.url}/v1/tasks/${task}`, 'DELETE');
  });

  it("the generic git webhook takes a repository's own token for that repository only", async () => {
    await git.createRepo('other');
    await git.commit('other', { Dockerfile: `FROM ${BASE_IMAGE}\n` }, 'other');
    const tokens = { app: `hook-app-${name}`, other: `hook-other-${name}` };
    const tasks = { app: `${name}-hook-app`, other: `${name}-hook-other` };
    for (const which of ['app', 'other'] as const) {
      const created = await send(`${stack.url}/v1/tasks`, 'POST', { name: tasks[which], context: `${git.httpUrl(which)}#main`, noPush: true, webhookToken: tokens[which] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.hasWebhookToken, true);
      assert.ok(!JSON.stringify(created.body).includes(tokens[which]), 'the token is never answered');
    }
    const sha = await git.commit('app', { 'version.txt': `hooked ${name}\n` }, 'hooked');
    const hook = (token: string | undefined) =>
      fetch(`${stack.url}/v1/webhooks/git`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ repository: repoUrl, ref: 'refs/heads/main', sha }),
      });
    // No token, another repository's token, a made-up one: refused before anything is recorded or started.
    for (const token of [undefined, tokens.other, 'not-a-token']) {
      const res = await hook(token);
      assert.equal(res.status, 401, `token ${token}`);
    }
    assert.deepEqual((await send(`${stack.url}/v1/tasks/${tasks.app}/runs`, 'GET')).body.runs, []);
    const res = await hook(tokens.app);
    const answer = (await res.json()) as { status: string; runs: string[] };
    assert.equal(res.status, 200);
    assert.equal(answer.status, 'queued', JSON.stringify(answer));
    const run = await waitForRun(stack.url, answer.runs[0]!);
    assert.equal(run.task, tasks.app);
    for (const task of Object.values(tasks)) await send(`${stack.url}/v1/tasks/${task}`, 'DELETE');
  });
});
