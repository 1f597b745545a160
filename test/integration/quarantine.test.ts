// The quarantine gate on the real registry (127.0.0.1:5000): a quarantined run pushes its image by digest
// and the tag stays on the last approved digest; a builder cannot approve; a scanner's approval moves the
// tag to exactly that digest and rebuilds what builds on it; a rejection moves nothing and the run says why.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiFetch, registryDigest, runLog, submit, waitForRun, type RunBody } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { GitServer } from '../support/git-server.js';
import { HookReceiver } from '../support/hook-receiver.js';
import { BASE_IMAGE, REGISTRY, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

const MANIFEST_ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

/** Waits until `check` holds, polling; fails with what it last saw. */
async function eventually<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await read();
    if (check(last)) return last;
    if (Date.now() > deadline) assert.fail(`${what}: last seen ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the quarantine gate', () => {
  let stack: TestStack;
  let git: GitServer;
  let repoUrl: string;
  const receiver = new HookReceiver();
  const space = uniqueName('quar');
  const baseRepo = `${space}/prod/base`;
  const baseImage = `${REGISTRY}/${baseRepo}:v1`;
  const tokens: Record<'builder' | 'scanner', string> = { builder: '', scanner: '' };
  const task = (t: string) => `${space}-${t}`;

  async function call(method: string, path: string, opts: { as?: keyof typeof tokens; body?: unknown } = {}): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(opts.as ? { authorization: `Bearer ${tokens[opts.as]}` } : {}) };
    const init = { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) };
    const res = opts.as ? await fetch(`${stack.url}${path}`, init) : await apiFetch(`${stack.url}${path}`, init);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function runTask(name: string): Promise<RunBody> {
    const started = await call('POST', `/v1/tasks/${task(name)}/runs`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const done = await waitForRun(stack.url, started.body.id);
    assert.equal(done.status, 'succeeded', done.error);
    return done;
  }

  /** The quarantine record of a digest, once the API has heard that its run ended. */
  const waiting = (digest: string) =>
    eventually(`${digest} in quarantine`, async () => (await call('GET', '/v1/quarantine')).body.images as any[], (images) => images.some((i) => i.digest === digest)).then((images) => images.find((i) => i.digest === digest));

  const manifestExists = async (repository: string, digest: string) => (await fetch(`http://${REGISTRY}/v2/${repository}/manifests/${digest}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } })).status === 200;
  const baseRebuildsOf = async (name: string) => ((await call('GET', `/v1/tasks/${task(name)}/runs?top=100`)).body.runs as RunBody[]).filter((r) => (r.trigger as { type: string }).type === 'base-image');

  before(async () => {
    git = await GitServer.start({ daemon: false });
    await git.createRepo('images');
    await git.commit('images', {
      'base/Dockerfile': `FROM ${BASE_IMAGE}\nCOPY version.txt /version.txt\n`,
      'base/version.txt': 'one\n',
      'app/Dockerfile': `FROM ${baseImage}\nCOPY app.txt /app.txt\n`,
      'app/app.txt': 'app\n',
    });
    repoUrl = git.httpUrl('images');
    stack = await startTestStack({
      env: { SLIPWAY_GIT_ALLOW_INSECURE: '1', SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1', SLIPWAY_HOOK_ALLOW_PRIVATE_HOSTS: '1', SLIPWAY_QUARANTINE_REPOSITORIES: `${space}/held/*` },
    });
    // A scanner wired through an outbound webhook, not by polling.
    await receiver.start();
    const hook = await call('POST', '/v1/hooks', { body: { name: `scanner-hook-${space}`, url: receiver.url, events: ['image.quarantined'] } });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    for (const role of ['builder', 'scanner'] as const) {
      const created = await call('POST', '/v1/tokens', { body: { name: `${role}-${space}`, role } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      tokens[role] = created.body.token;
    }
    const base = await call('POST', '/v1/tasks', { body: { name: task('base'), context: `${repoUrl}#main:base`, images: [baseImage], commitTrigger: false, quarantine: true } });
    assert.equal(base.status, 201, JSON.stringify(base.body));
    assert.equal(base.body.quarantine, true);
  });
  after(async () => {
    await stack?.close();
    await git?.stop();
    await receiver.stop();
  });

  let approved = '';

  it('pushes a quarantined task run by digest only: the tag does not move until a scanner approves, and a builder cannot', async () => {
    const run = await runTask('base');
    const digest = run.outputImages[0]!.digest;
    assert.deepEqual((run.outputImages[0] as any).quarantine, { state: 'quarantined' });
    assert.equal(await registryDigest(REGISTRY, baseRepo, 'v1'), null, 'no tag before approval');
    assert.ok(await manifestExists(baseRepo, digest), 'the manifest is in the repository by digest');
    const record = await waiting(digest);
    assert.deepEqual(record.images, [baseImage]);
    assert.equal(record.runId, run.id);
    const heard = await receiver.next('image.quarantined for the run', (r) => r.json.event === 'image.quarantined' && r.json.data.digest === digest);
    assert.deepEqual([heard.json.task, heard.json.data.images, heard.json.data.runId], [task('base'), [baseImage], run.id]);
    assert.match(String(heard.headers['x-hub-signature-256']), /^sha256=[a-f0-9]{64}$/);

    const refused = await call('POST', `/v1/quarantine/${digest}/approve`, { as: 'builder' });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'role_forbidden');
    assert.equal(await registryDigest(REGISTRY, baseRepo, 'v1'), null, "a builder's approval moved the tag");
    assert.equal((await call('GET', `/v1/quarantine/${digest}`)).body.state, 'quarantined');

    const ok = await call('POST', `/v1/quarantine/${digest}/approve`, { as: 'scanner' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.image.state, 'approved');
    assert.equal(ok.body.image.by, `scanner-${space}`);
    assert.equal(await registryDigest(REGISTRY, baseRepo, 'v1'), digest, 'the tag names exactly the approved digest');
    assert.match(await runLog(stack.url, run.id), new RegExp(`approved by scanner-${space}: ${baseImage.replaceAll('.', '\\.')} now names ${digest}`));
    // A verdict is given once.
    assert.equal((await call('POST', `/v1/quarantine/${digest}/reject`, { as: 'scanner' })).status, 409);
    approved = digest;
  });

  it('a quarantined base triggers no rebuild; its approval moves the tag and starts the dependents’ wave', async () => {
    const app = await call('POST', '/v1/tasks', { body: { name: task('app'), context: `${repoUrl}#main:app`, images: [`${REGISTRY}/${space}/app:v1`], commitTrigger: false } });
    assert.equal(app.status, 201, JSON.stringify(app.body));
    await runTask('app');
    await eventually('app in the graph', async () => (await call('GET', '/v1/graph')).body, (g: any) => g.images.some((i: any) => i.image === baseImage && i.dependents.some((d: any) => d.task === task('app'))));

    await git.commit('images', { 'base/version.txt': 'two\n' });
    const run = await runTask('base');
    const digest = run.outputImages[0]!.digest;
    assert.notEqual(digest, approved);
    await waiting(digest);
    // The graph has heard of the run too (its node names it): had it taken the push as a change, the wave would exist now.
    await eventually('the graph heard of the base run', async () => (await call('GET', '/v1/graph')).body, (g: any) => g.tasks.some((n: any) => n.task === task('base') && n.runId === run.id));
    assert.equal(await registryDigest(REGISTRY, baseRepo, 'v1'), approved, 'the tag stays on the last approved digest');
    assert.deepEqual(((await call('GET', '/v1/rebuilds?top=100')).body.rebuilds as any[]).filter((w) => w.image === baseImage), []);
    assert.deepEqual(await baseRebuildsOf('app'), []);

    const ok = await call('POST', `/v1/quarantine/${digest}/approve`, { as: 'scanner', body: { reason: 'scanned: no findings' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(await registryDigest(REGISTRY, baseRepo, 'v1'), digest);
    assert.equal(ok.body.waves.length, 1, JSON.stringify(ok.body));
    const wave = (await call('GET', `/v1/rebuilds/${ok.body.waves[0]}`)).body;
    assert.equal(wave.source, 'approval');
    assert.deepEqual(wave.entries.map((e: any) => e.task), [task('app')]);
    const rebuilt = await eventually('app rebuilt', () => baseRebuildsOf('app'), (runs) => runs.length === 1 && runs[0]!.status !== 'queued' && runs[0]!.status !== 'running', 180_000);
    assert.equal(rebuilt[0]!.status, 'succeeded', rebuilt[0]!.error);
    assert.equal((rebuilt[0]!.trigger as any).newDigest, digest);
    approved = digest;
  });

  it('a rejection moves no tag, starts nothing, and the run says why', async () => {
    await git.commit('images', { 'base/version.txt': 'three\n' });
    const run = await runTask('base');
    const digest = run.outputImages[0]!.digest;
    await waiting(digest);
    const wavesBefore = (await call('GET', '/v1/rebuilds?top=100')).body.rebuilds.length;

    const rejected = await call('POST', `/v1/quarantine/${digest}/reject`, { as: 'scanner', body: { reason: 'CVE-2026-0001 in libfoo' } });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    assert.equal(rejected.body.state, 'rejected');
    assert.equal(rejected.body.reason, 'CVE-2026-0001 in libfoo');
    assert.equal(await registryDigest(REGISTRY, baseRepo, 'v1'), approved);
    assert.match(await runLog(stack.url, run.id), /quarantine: rejected by scanner-\S+: CVE-2026-0001 in libfoo/);
    // Rejected for good: a later approval is refused, and the tag still does not move.
    assert.equal((await call('POST', `/v1/quarantine/${digest}/approve`, { as: 'scanner' })).status, 409);
    assert.equal(await registryDigest(REGISTRY, baseRepo, 'v1'), approved);
    assert.equal((await call('GET', '/v1/rebuilds?top=100')).body.rebuilds.length, wavesBefore);
    assert.equal((await baseRebuildsOf('app')).length, 1);
    assert.deepEqual(((await call('GET', '/v1/quarantine?state=rejected')).body.images as any[]).map((i) => i.digest), [digest]);
  });

  it('quarantines a run pushing into a repository the operator named, whoever submits it', async () => {
    const image = `${REGISTRY}/${space}/held/web:v1`;
    const res = await submit(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\nCOPY Dockerfile /held\n`), { images: [image] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.request.quarantine, true);
    const run = await waitForRun(stack.url, res.body.id);
    assert.equal(run.status, 'succeeded', run.error);
    assert.equal(await registryDigest(REGISTRY, `${space}/held/web`, 'v1'), null);
    assert.ok(await manifestExists(`${space}/held/web`, run.outputImages[0]!.digest));
    await waiting(run.outputImages[0]!.digest);
  });
});
