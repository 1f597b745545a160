// Tasks from git on the real stack: definitions and their validation, a manual run at the branch head,
// and signed GitHub push webhooks (real example payloads) building the exact pushed commit once.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { apiFetch, registryDigest, registryImageConfig, runLog, waitForRun } from '../support/api.js';
import { GitServer } from '../support/git-server.js';
import { BASE_IMAGE, REGISTRY, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

const SECRET = 'webhook-secret-for-tests';
const GIT_TOKEN = 'generic-hook-token-for-tests';
type Payload = Record<string, any>;
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as { name: string; examples: Payload[] }[];
const pushExample = examples.find((d) => d.name === 'push')!.examples.find((p) => p.ref === 'refs/heads/main' || p.ref?.startsWith('refs/heads/'))!;
const prOpened = examples.find((d) => d.name === 'pull_request')!.examples.find((p) => p.action === 'opened')!;

function signed(url: string, event: string, payload: Payload, delivery: string): Promise<Response> {
  const raw = JSON.stringify(payload);
  return fetch(url, {
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

describe('tasks from git', () => {
  let stack: TestStack;
  let git: GitServer;
  let repoUrl: string;
  const task = uniqueName('task');
  const repo = `slipway-test/${task}`;

  before(async () => {
    git = await GitServer.start({ daemon: false });
    await git.createRepo('app');
    await git.commit('app', { Dockerfile: `FROM ${BASE_IMAGE}\nCOPY version.txt /version.txt\nRUN cat /version.txt\n`, 'version.txt': `first ${task}\n` }, 'first');
    repoUrl = git.httpUrl('app');
    stack = await startTestStack({ env: { SLIPWAY_GIT_ALLOW_INSECURE: '1', SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1', SLIPWAY_GITHUB_WEBHOOK_SECRETS: SECRET, SLIPWAY_GIT_WEBHOOK_TOKENS: GIT_TOKEN } });
    // Made first, so its first minute tick comes while the other tests run.
    const timer = await send(`${stack.url}/v1/tasks`, 'POST', { name: `${task}-timer`, context: `${repoUrl}#main`, noPush: true, commitTrigger: false, schedules: ['* * * * *'] });
    assert.equal(timer.status, 201, JSON.stringify(timer.body));
  });
  after(async () => {
    await stack?.close();
    await git?.stop();
  });

  it('creates a task, and refuses bad definitions with a clear 4xx', async () => {
    const created = await send(`${stack.url}/v1/tasks`, 'POST', { name: task, context: `${repoUrl}#main`, images: [`${repo}:{{.Run.ID}}`, `${repo}:latest`], gitToken: 'not-needed-but-secret' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.hasGitToken, true);
    assert.ok(!JSON.stringify(created.body).includes('not-needed-but-secret'));
    const listed = await send(`${stack.url}/v1/tasks`, 'GET');
    assert.deepEqual(listed.body.tasks.map((t: { name: string }) => t.name), [task, `${task}-timer`]);

    const bad: [Record<string, unknown>, number, RegExp][] = [
      [{ name: task, context: `${repoUrl}#main`, images: ['x:v1'] }, 409, /already exists/],
      [{ name: 'bad name!', context: `${repoUrl}#main`, images: ['x:v1'] }, 400, /task name/],
      [{ name: uniqueName('t'), context: `${repoUrl}#main`, images: ['x:{{.Run.Nope}}'] }, 400, /unknown run variable Nope/],
      [{ name: uniqueName('t'), context: `${repoUrl}#main`, images: ['x:v1'], schedules: ['every day'] }, 400, /5 fields/],
      [{ name: uniqueName('t'), context: `${repoUrl}#main`, images: ['x:v1'], schedules: ['61 * * * *'] }, 400, /not a valid cron/],
      [{ name: uniqueName('t'), context: 'file:///etc', images: ['x:v1'] }, 400, /file/],
      [{ name: uniqueName('t'), context: `${repoUrl}#main`, images: ['x:v1'], platform: 'plan9/mips' }, 400, /plan9/],
      [{ name: uniqueName('t'), images: ['x:v1'] }, 400, /context/],
    ];
    for (const [body, status, message] of bad) {
      const res = await send(`${stack.url}/v1/tasks`, 'POST', body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(res.body.error.message, message, JSON.stringify(body));
    }
    assert.equal((await send(`${stack.url}/v1/tasks/${uniqueName('nope')}`, 'GET')).status, 404);
  });

  it('runs a task by hand at the branch head, tagging the image with the run id', async () => {
    const head = await git.resolve('app', 'refs/heads/main');
    const started = await send(`${stack.url}/v1/tasks/${task}/runs`, 'POST');
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitForRun(stack.url, started.body.id);
    assert.equal(run.status, 'succeeded', run.error);
    assert.equal((run.request as { git: { commit: string } }).git.commit, head);
    assert.equal(run.task, task);
    // Not the RUN step's output: the timer task builds the same commit, and may have left it in the Engine's cache.
    assert.match(await runLog(stack.url, run.id), new RegExp(`checked out \\S+ at ${head}`));
    assert.equal(await registryDigest(REGISTRY, repo, run.id), run.outputImages[0]?.digest);
    const runs = await send(`${stack.url}/v1/tasks/${task}/runs`, 'GET');
    assert.deepEqual(runs.body.runs.map((r: { id: string }) => r.id), [run.id]);
  });

  it("keeps a task's labels through an update of other fields, and puts them on the images it pushes", async () => {
    const name = `${task}-labels`;
    const created = await send(`${stack.url}/v1/tasks`, 'POST', { name, context: `${repoUrl}#main`, images: [`${repo}-labels:{{.Run.ID}}`], commitTrigger: false, labels: { 'org.example.team': 'a' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const updated = await send(`${stack.url}/v1/tasks/${name}`, 'PATCH', { timeoutSeconds: 900 });
    assert.deepEqual([updated.body.labels, updated.body.timeoutSeconds], [{ 'org.example.team': 'a' }, 900]);
    const relabelled = await send(`${stack.url}/v1/tasks/${name}`, 'PATCH', { labels: { 'org.example.team': 'b', tier: 'web' } });
    assert.deepEqual(relabelled.body.labels, { 'org.example.team': 'b', tier: 'web' }, 'labels given replace the stored ones');
    const bad = await send(`${stack.url}/v1/tasks/${name}`, 'PATCH', { labels: { 'has space': 'x' } });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));

    const started = await send(`${stack.url}/v1/tasks/${name}/runs`, 'POST');
    const run = await waitForRun(stack.url, started.body.id);
    assert.equal(run.status, 'succeeded', run.error);
    assert.deepEqual((run.request as { labels?: unknown }).labels, { 'org.example.team': 'b', tier: 'web' });
    const config = await registryImageConfig(REGISTRY, `${repo}-labels`, run.id);
    assert.equal(config.config?.Labels?.['org.example.team'], 'b');
    assert.equal(config.config?.Labels?.tier, 'web');
    // A git build says where it came from, as buildx does (the Dockerfile sets none of these).
    const oci = (key: string) => config.config?.Labels?.[`org.opencontainers.image.${key}`];
    assert.equal(oci('source'), repoUrl);
    assert.equal(oci('revision'), (run.request as { git?: { commit: string } }).git?.commit);
    assert.match(oci('revision') ?? '', /^[0-9a-f]{40}$/);
    assert.ok(Date.parse(oci('created') ?? '') >= Date.parse(run.startedAt as string) && Date.parse(oci('created') ?? '') <= Date.parse(run.finishedAt as string), oci('created'));
    await send(`${stack.url}/v1/tasks/${name}`, 'DELETE');
  });

  it('builds the exact pushed commit from a signed GitHub push, once per delivery', async () => {
    const sha = await git.commit('app', { 'version.txt': `second ${task}\n` }, 'second');
    // A newer commit lands before the build starts: the run must still build the pushed one.
    await git.commit('app', { 'version.txt': `third ${task}\n` }, 'third');
    const payload = structuredClone(pushExample);
    payload.ref = 'refs/heads/main';
    payload.after = sha;
    payload.deleted = false;
    payload.repository.clone_url = repoUrl;
    const raw = JSON.stringify(payload);
    const delivery = uniqueName('delivery');
    const post = (signature: string) =>
      apiFetch(`${stack.url}/v1/webhooks/github`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': delivery, 'x-hub-signature-256': signature },
        body: raw,
      });
    const signature = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;

    const forged = await post(`sha256=${createHmac('sha256', 'wrong-secret').update(raw).digest('hex')}`);
    assert.equal(forged.status, 401);

    const res = await post(signature);
    assert.equal(res.status, 200);
    const answer = (await res.json()) as { status: string; runs: string[] };
    assert.equal(answer.status, 'queued');
    assert.equal(answer.runs.length, 1);
    const run = await waitForRun(stack.url, answer.runs[0]!);
    assert.equal(run.status, 'succeeded', run.error);
    assert.equal((run.request as { git: { commit: string } }).git.commit, sha);
    const trigger = run.trigger as { type: string; deliveryId: string };
    assert.deepEqual({ type: trigger.type, deliveryId: trigger.deliveryId }, { type: 'commit', deliveryId: delivery });
    const log = await runLog(stack.url, run.id);
    assert.match(log, new RegExp(`second ${task}`));
    assert.doesNotMatch(log, /third/);

    const again = await post(signature);
    assert.equal(((await again.json()) as { status: string }).status, 'duplicate');
    const runs = await send(`${stack.url}/v1/tasks/${task}/runs`, 'GET');
    assert.equal(runs.body.runs.length, 2, 'manual run + one webhook run, no run for the forged or repeated delivery');
  });

  it('acknowledges a push for a repository no task builds, saying so', async () => {
    const payload = structuredClone(pushExample);
    payload.repository.clone_url = 'https://example.invalid/nobody/nothing.git';
    payload.repository.ssh_url = 'git@example.invalid:nobody/nothing.git';
    payload.repository.html_url = 'https://example.invalid/nobody/nothing';
    payload.repository.git_url = 'git://example.invalid/nobody/nothing.git';
    const res = await signed(`${stack.url}/v1/webhooks/github`, 'push', payload, uniqueName('d'));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; reason: string };
    assert.equal(body.status, 'ignored');
    assert.match(body.reason, /no task builds/);
  });

  it('collapses pushes that arrive while a run is going into one follow-up at the newest commit', async () => {
    await git.createRepo('busy');
    const first = await git.commit('busy', { Dockerfile: `FROM ${BASE_IMAGE}\nCOPY version.txt /version.txt\nRUN cat /version.txt && sleep 6\n`, 'version.txt': `busy-1 ${task}\n` }, 'one');
    const name = `${task}-busy`;
    const created = await send(`${stack.url}/v1/tasks`, 'POST', { name, context: `${git.httpUrl('busy')}#main`, noPush: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const push = async (sha: string) => {
      const res = await apiFetch(`${stack.url}/v1/webhooks/git`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${GIT_TOKEN}` },
        body: JSON.stringify({ repository: git.httpUrl('busy'), ref: 'refs/heads/main', sha }),
      });
      assert.equal(res.status, 200);
      return (await res.json()) as { status: string; runs?: string[]; deferred?: string[] };
    };
    const unauthorized = await apiFetch(`${stack.url}/v1/webhooks/git`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, body: '{}' });
    assert.equal(unauthorized.status, 401);

    const a = await push(first);
    assert.equal(a.status, 'queued');
    const second = await git.commit('busy', { 'version.txt': `busy-2 ${task}\n` }, 'two');
    assert.equal((await push(second)).status, 'deferred');
    const third = await git.commit('busy', { 'version.txt': `busy-3 ${task}\n` }, 'three');
    assert.equal((await push(third)).status, 'deferred');

    const firstRun = await waitForRun(stack.url, a.runs![0]!);
    assert.equal(firstRun.status, 'succeeded', firstRun.error);
    let runs: { id: string; request: { git: { commit: string } } }[] = [];
    for (let i = 0; i < 100 && runs.length < 2; i++) {
      runs = (await send(`${stack.url}/v1/tasks/${name}/runs`, 'GET')).body.runs;
      if (runs.length < 2) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(runs.length, 2, 'one follow-up run, not one per push');
    assert.equal(runs[0]!.request.git.commit, third, 'the follow-up builds the newest commit');
    const followUp = await waitForRun(stack.url, runs[0]!.id);
    assert.equal(followUp.status, 'succeeded', followUp.error);
    assert.match(await runLog(stack.url, followUp.id), new RegExp(`busy-3 ${task}`));
  });

  it('builds the head commit of an opened pull request for a task with the pull-request trigger on', async () => {
    const name = `${task}-pr`;
    const created = await send(`${stack.url}/v1/tasks`, 'POST', { name, context: `${repoUrl}#main`, noPush: true, commitTrigger: false, prTrigger: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await git.branch('app', 'feature', (await git.resolve('app', 'refs/heads/main'))!);
    const head = await git.commit('app', { 'version.txt': `from a pull request ${task}\n` }, 'feature work', { branch: 'feature' });
    const payload = structuredClone(prOpened);
    payload.action = 'opened';
    payload.repository.clone_url = repoUrl;
    payload.pull_request.head.sha = head;
    payload.pull_request.head.ref = 'feature';
    payload.pull_request.head.repo.clone_url = repoUrl;
    payload.pull_request.base.ref = 'main';
    const res = await signed(`${stack.url}/v1/webhooks/github`, 'pull_request', payload, uniqueName('pr'));
    assert.equal(res.status, 200);
    const answer = (await res.json()) as { status: string; runs: string[] };
    assert.equal(answer.status, 'queued', JSON.stringify(answer));
    assert.equal(answer.runs.length, 1, 'only the task with the pull-request trigger on builds it');
    const run = await waitForRun(stack.url, answer.runs[0]!);
    assert.equal(run.status, 'succeeded', run.error);
    assert.equal(run.task, name);
    assert.equal((run.request as { git: { commit: string } }).git.commit, head);
    assert.equal((run.trigger as { type: string; pullRequest: number }).type, 'pull_request');
    assert.match(await runLog(stack.url, run.id), new RegExp(`from a pull request ${task}`));

    // The same pull request from a fork: a task holding a git token does not build it, and says why.
    const withToken = `${task}-prtoken`;
    assert.equal((await send(`${stack.url}/v1/tasks`, 'POST', { name: withToken, context: `${repoUrl}#main`, noPush: true, commitTrigger: false, prTrigger: true, gitToken: 'tok-for-fork-test' })).status, 201);
    await send(`${stack.url}/v1/tasks/${name}`, 'DELETE');
    const fork = structuredClone(payload);
    fork.pull_request.head.repo.clone_url = 'https://github.com/someone-else/Hello-World.git';
    const forkRes = await signed(`${stack.url}/v1/webhooks/github`, 'pull_request', fork, uniqueName('prfork'));
    const forkAnswer = (await forkRes.json()) as { status: string; reason: string };
    assert.equal(forkAnswer.status, 'ignored', JSON.stringify(forkAnswer));
    assert.match(forkAnswer.reason, new RegExp(`${withToken}: pull request #\\d+ comes from a fork .* git token`));
  });

  it('starts a run when a schedule ticks, once per tick', async () => {
    const name = `${task}-timer`;
    let runs: { id: string; status: string; trigger: { type: string; schedule?: string; commit?: string } }[] = [];
    for (let i = 0; i < 150 && runs.length === 0; i++) {
      runs = (await send(`${stack.url}/v1/tasks/${name}/runs`, 'GET')).body.runs;
      if (runs.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(runs.length >= 1, 'no timer run within 75 s');
    assert.deepEqual(runs[0]!.trigger, { type: 'timer', schedule: '* * * * *', commit: runs[0]!.trigger.commit });
    const done = await waitForRun(stack.url, runs[0]!.id);
    assert.equal(done.status, 'succeeded', done.error);
    assert.equal((await send(`${stack.url}/v1/tasks/${name}`, 'DELETE')).status, 204);
    const minutes = runs.map((r) => (r as unknown as { createdAt: string }).createdAt.slice(0, 16));
    assert.equal(new Set(minutes).size, minutes.length, 'two runs in one minute: a tick was doubled');
  });
});
