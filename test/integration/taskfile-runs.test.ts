// Task-file runs through the real API and worker (`az acr run` on Slipway): the file is checked when the
// run is submitted (errors with line and column), the worker renders it with the run's variables, values
// and secrets and runs its steps, the pushed images and each step's times land on the run, and no secret
// value is ever in the log or the record. Also a task whose file is a task file, built from live.git.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Run } from '../../src/runs/model.js';
import { apiFetch, registryDigest, runLog, submit, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { REGISTRY, uniqueName } from '../support/stack.js';
import { withGitStack } from '../support/with-stack.js';

const SECRET = 'hunter2-very-secret';
const BUSYBOX = `${REGISTRY}/base/busybox:latest`;

describe('task-file runs', () => {
  const live = withGitStack();

  it('builds, tests and pushes with parallel and dependent steps; values and secrets rendered, secrets masked', async () => {
    const repo = `slipway-test/${uniqueName('acb')}`;
    const taskFile = `version: v1.1.0
secrets:
  - id: token
env:
  - GREETING={{.Values.greeting}}
steps:
  - id: build
    build: -t $Registry/${repo}:$ID -t $Registry/${repo}:latest -f Dockerfile .
  - id: left
    cmd: ${BUSYBOX} sh -c 'sleep 1; echo left > left.txt'
    when: ["-"]
  - id: right
    cmd: ${BUSYBOX} sh -c 'sleep 1; echo right > right.txt'
    when: ["-"]
  - id: test
    cmd: $Registry/${repo}:$ID sh -c 'cat /nonce; echo "$GREETING with $TOKEN"'
    env:
      - TOKEN={{.Secrets.token}}
    when: [build, left, right]
  - id: push
    push:
      - $Registry/${repo}:$ID
      - $Registry/${repo}:latest
`;
    const archive = await contextArchive(`FROM ${BUSYBOX}\nCOPY nonce /nonce\n`, { 'acb.yaml': taskFile, nonce: `${repo}\n` });
    const res = await submit(live.stack.url, archive, { taskFile: 'acb.yaml', values: { greeting: 'hello' }, secretValues: { token: SECRET } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = (await waitForRun(live.stack.url, res.body.id)) as unknown as Run;
    const log = await runLog(live.stack.url, run.id);
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);

    // Order from the recorded times: left and right side by side, test after all three, push last.
    const step = Object.fromEntries(run.steps!.map((s) => [s.id, s]));
    assert.deepEqual(run.steps!.map((s) => `${s.id}:${s.status}`), ['build:succeeded', 'left:succeeded', 'right:succeeded', 'test:succeeded', 'push:succeeded']);
    const t = (id: string, f: 'startedAt' | 'finishedAt') => Date.parse(step[id]![f]!);
    assert.ok(t('left', 'startedAt') < t('right', 'finishedAt') && t('right', 'startedAt') < t('left', 'finishedAt'), 'left and right overlap');
    for (const before of ['build', 'left', 'right']) assert.ok(t('test', 'startedAt') >= t(before, 'finishedAt'), `test after ${before}`);
    assert.ok(t('push', 'startedAt') >= t('test', 'finishedAt'));

    assert.match(log, new RegExp(`\\[test\\] .*${repo}`));
    assert.match(log, /hello with \*\*\*/);
    assert.ok(!log.includes(SECRET), 'the secret is masked in the log');
    assert.ok(!JSON.stringify(run).includes(SECRET), 'the secret is not in the run record');
    assert.deepEqual(run.request.secretValueKeys, ['token']);

    // The build step's base is recorded for the base-image graph, as a Dockerfile run's would be.
    assert.deepEqual(run.baseImages?.map((b) => [b.image, b.kind, b.platform, b.digest?.startsWith('sha256:')]), [[BUSYBOX, 'runtime', 'linux/amd64', true]]);

    const latest = await registryDigest(REGISTRY, repo, 'latest');
    assert.ok(latest);
    assert.deepEqual(run.outputImages.map((o) => [o.repository, o.tag, o.digest]), [[repo, run.id, latest], [repo, 'latest', latest]]);
  });

  it('a failing cmd step fails the run with its output, unless ignoreErrors', async () => {
    const taskFile = `version: v1.1.0
steps:
  - id: flaky
    cmd: ${BUSYBOX} sh -c 'echo tolerated-failure; exit 3'
    ignoreErrors: true
  - id: broken
    cmd: ${BUSYBOX} sh -c 'echo this-step-breaks; exit 7'
  - id: never
    cmd: ${BUSYBOX} echo never-runs
`;
    const res = await submit(live.stack.url, await contextArchive('FROM scratch\n', { 'acb.yaml': taskFile }), { taskFile: 'acb.yaml' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = (await waitForRun(live.stack.url, res.body.id)) as unknown as Run;
    assert.equal(run.status, 'failed');
    assert.match(run.error ?? '', /step broken failed/);
    const states = Object.fromEntries(run.steps!.map((s) => [s.id, `${s.status}${s.ignored ? ' (ignored)' : ''}:${s.exitCode ?? ''}`]));
    assert.deepEqual(states, { flaky: 'failed (ignored):3', broken: 'failed:7', never: 'skipped:' });
    const log = await runLog(live.stack.url, run.id);
    assert.match(log, /this-step-breaks/);
    assert.doesNotMatch(log, /never-runs/);
  });

  it('a build step with --no-cache runs every instruction again', async () => {
    const nonce = uniqueName('nocache');
    const taskFile = `version: v1.1.0
steps:
  - id: first
    build: -t ${nonce}:first .
  - id: again
    build: --no-cache -t ${nonce}:again .
  - id: cached
    build: -t ${nonce}:cached .
`;
    const archive = await contextArchive(`FROM ${BUSYBOX}\nRUN echo ran-${nonce}\n`, { 'acb.yaml': taskFile });
    const res = await submit(live.stack.url, archive, { taskFile: 'acb.yaml', noPush: true });
    const run = (await waitForRun(live.stack.url, res.body.id)) as unknown as Run;
    const log = await runLog(live.stack.url, run.id);
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    const ran = (id: string) => new RegExp(`\\[${id}\\] #\\d+ [0-9.]+ ran-${nonce}`).test(log);
    assert.ok(ran('first'), 'the first build runs the RUN');
    assert.ok(ran('again'), '--no-cache runs it again');
    assert.ok(!ran('cached'), 'without --no-cache the RUN comes from the cache');
  });

  it('refuses a bad task file at submit with its line and column, and other misuse with a clear 400', async () => {
    const files = {
      // A value not given renders empty, as in ACR; a function that does not exist is refused.
      'acb.yaml': 'version: v1.1.0\nsteps:\n  - id: a\n    cmd: x {{.Values.missing | nosuchfn}}\n',
      'graph.yaml': 'version: v1.1.0\nsteps:\n  - id: a\n    cmd: x\n  - id: b\n    when: [nope]\n    cmd: y\n',
      'yaml.yaml': 'version: v1.1.0\nsteps:\n  - cmd: [unclosed\n',
      'ok.yaml': `version: v1.1.0\nsteps:\n  - cmd: ${BUSYBOX} true\n`,
    };
    const ctx = await contextArchive('FROM scratch\n', files);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ taskFile: 'acb.yaml' }, /acb\.yaml:4:\d+: function "nosuchfn" not defined/],
      [{ taskFile: 'graph.yaml' }, /graph\.yaml:6:\d+: .*nope/],
      [{ taskFile: 'yaml.yaml' }, /yaml\.yaml:\d+:\d+: /],
      [{ taskFile: 'absent.yaml' }, /task file "absent\.yaml" not found/],
      [{ taskFile: '../outside.yaml' }, /inside the build context/],
      [{ taskFile: 'ok.yaml', images: ['x:v1'] }, /images belong in the task file/],
      [{ taskFile: 'ok.yaml', platform: 'linux/amd64,linux/arm64' }, /one platform/],
      [{ values: { a: 1 } }, /values and secretValues are for task files/],
      [{ taskFile: 'ok.yaml', secretValues: { 'bad id!': 'x' } }, /secret id/],
    ];
    for (const [body, message] of cases) {
      const res = await submit(live.stack.url, ctx, body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.message, message, JSON.stringify(body));
    }
  });

  it('a task whose file is a task file runs its steps from the exact commit', async () => {
    await live.git.createRepo('steps');
    const sha = await live.git.commit('steps', { 'ci/acb.yaml': `version: v1.1.0\nsteps:\n  - cmd: ${BUSYBOX} sh -c 'echo commit={{.Run.Commit}} task={{.Run.TaskName}}; cat marker'\n`, 'ci/marker': 'from-git\n' }, 'steps');
    const name = uniqueName('stepstask');
    const created = await apiFetch(`${live.stack.url}/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, context: `${live.git.httpUrl('steps')}#main:ci`, dockerfile: 'acb.yaml', commitTrigger: false }) });
    assert.equal(created.status, 201, await created.text());
    const started = await apiFetch(`${live.stack.url}/v1/tasks/${name}/runs`, { method: 'POST' });
    const run = (await waitForRun(live.stack.url, ((await started.json()) as Run).id)) as unknown as Run;
    const log = await runLog(live.stack.url, run.id);
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    assert.match(log, new RegExp(`commit=${sha} task=${name}`));
    assert.match(log, /from-git/);
    const refused = await apiFetch(`${live.stack.url}/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: uniqueName('t'), context: `${live.git.httpUrl('steps')}#main:ci`, dockerfile: 'acb.yaml', images: ['x:v1'] }) });
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as any).error.message, /push steps/);
  });
});
