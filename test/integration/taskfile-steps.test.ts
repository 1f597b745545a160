// The step executor against the real Docker Engine and registry: order from recorded timestamps, failures,
// retries, a detached service reached by its id, secrets masked, timeouts and cancel that leave nothing
// behind, and every example in task-schemas/examples run as written.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { RegistryClient } from '../../src/registry/client.js';
import { loadTaskFile, type LoadOptions } from '../../src/taskfile/load.js';
import { DockerContainers } from '../../workers/builder/docker/docker-containers.js';
import { DockerEngine } from '../../workers/builder/docker/docker-engine.js';
import { runTaskSteps } from '../../workers/steps/executor.js';
import type { StepRecord, TaskRunResult } from '../../workers/steps/model.js';
import { RUN_LABEL } from '../../workers/steps/run-resources.js';
import { REGISTRY } from '../support/stack.js';

const engine = new DockerEngine('/var/run/docker.sock', new RegistryClient());
const containers = new DockerContainers('/var/run/docker.sock');
// What the run left behind is read straight from the daemon, not through the adapter under test.
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const BUSYBOX = `${REGISTRY}/base/busybox:latest`;
const EXAMPLES = new URL('../../task-schemas/examples/', import.meta.url);

interface Outcome extends TaskRunResult {
  log: string[];
  byId: Record<string, StepRecord>;
  runId: string;
  /** What names and labels the run's containers and networks. */
  scope: string;
  workspace: string;
}

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-steps-'));
});
after(() => fs.rm(root, { recursive: true, force: true }));

async function execute(text: string, opts: { files?: Record<string, string>; copyExamples?: boolean; load?: Partial<LoadOptions>; signal?: AbortSignal; onLine?: (line: string) => void } = {}): Promise<Outcome> {
  const runId = `t${randomBytes(4).toString('hex')}`;
  const workspace = path.join(root, runId, 'src');
  await fs.mkdir(workspace, { recursive: true });
  if (opts.copyExamples) await fs.cp(EXAMPLES, workspace, { recursive: true });
  for (const [name, content] of Object.entries(opts.files ?? {})) await fs.writeFile(path.join(workspace, name), content);
  const run = { ID: runId, Registry: REGISTRY, RegistryName: '127', Date: '20261125-150000z', OS: 'linux', Architecture: 'amd64', Commit: '', Branch: '', TaskName: '', SharedVolume: workspace };
  const { task, masker } = loadTaskFile(text, { file: 'acb.yaml', run, ...opts.load });
  const log: string[] = [];
  const result = await runTaskSteps({
    task,
    scope: `slipway-${runId}`,
    workspace,
    scratchDir: path.join(root, runId, 'scratch'),
    engine,
    containers,
    log: (l) => (log.push(l), opts.onLine?.(l)),
    masker,
    signal: opts.signal ?? new AbortController().signal,
    platform: 'linux/amd64',
    allowPrivileged: false,
    limits: { memoryBytes: 512 * 1024 * 1024, cpus: 2, pids: 1024, containersPerRun: 16, maximum: { memoryBytes: 512 * 1024 * 1024, cpus: 2, pids: 1024 } },
  });
  return { ...result, log, byId: Object.fromEntries(result.steps.map((s) => [s.id, s])), runId, scope: `slipway-${runId}`, workspace };
}

/** Containers and networks the run left in Docker. */
async function leftovers(runId: string): Promise<{ containers: number; networks: number }> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`slipway.task-run=${runId}`] } });
  const networks = await docker.listNetworks({ filters: { label: [`${RUN_LABEL}=${runId}`] } });
  return { containers: containers.length, networks: networks.length };
}

const t = (iso?: string) => Date.parse(iso ?? 'invalid');

/** The names of the networks the Engine created from `since` until now, from its own event log. */
async function networksCreatedSince(since: number): Promise<string[]> {
  const stream = (await docker.getEvents({ since: Math.floor(since / 1000), until: Math.ceil(Date.now() / 1000), filters: { type: ['network'], event: ['create'] } })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => (JSON.parse(line) as { Actor?: { Attributes?: { name?: string } } }).Actor?.Attributes?.name ?? '');
}

describe('task steps on the real Docker Engine', { timeout: 600_000 }, () => {
  it('runs parallel and dependent steps in the declared order, by their recorded timestamps', async () => {
    const r = await execute(
      `version: v1.1.0\nalias:\n  values:\n    bb: ${BUSYBOX}\nsteps:\n` +
        `  - id: a\n    cmd: bb sh -c 'sleep 2; echo a > a.txt'\n    when: ["-"]\n` +
        `  - id: b\n    cmd: bb sh -c 'sleep 2; echo b > b.txt'\n    when: ["-"]\n` +
        `  - id: c\n    cmd: bb sh -c 'cat a.txt b.txt > c.txt'\n    when: [a, b]\n` +
        `  - id: d\n    cmd: bb cat c.txt\n`,
    );
    assert.equal(r.status, 'succeeded', r.error + '\n' + r.log.join('\n'));
    const { a, b, c, d } = r.byId as Record<string, StepRecord>;
    // a and b ran side by side: each started before the other finished.
    assert.ok(t(a!.startedAt) < t(b!.finishedAt) && t(b!.startedAt) < t(a!.finishedAt), JSON.stringify(r.steps));
    assert.ok(t(c!.startedAt) >= Math.max(t(a!.finishedAt), t(b!.finishedAt)));
    assert.ok(t(d!.startedAt) >= t(c!.finishedAt));
    assert.ok(r.log.includes('[d] a') && r.log.includes('[d] b'), r.log.join('\n'));
    assert.deepEqual(await leftovers(r.scope), { containers: 0, networks: 0 });
  });

  it('a failing cmd step fails the run and skips what follows; ignoreErrors lets it go on', async () => {
    const failing = await execute(`steps:\n  - id: bad\n    cmd: ${BUSYBOX} sh -c 'echo about to fail; exit 3'\n  - id: after\n    cmd: ${BUSYBOX} true\n`);
    assert.equal(failing.status, 'failed');
    assert.equal(failing.byId.bad!.status, 'failed');
    assert.equal(failing.byId.bad!.exitCode, 3);
    assert.equal(failing.byId.after!.status, 'skipped');
    assert.equal(failing.byId.after!.startedAt, undefined);
    assert.match(failing.error ?? '', /step bad failed: exited with code 3/);
    assert.ok(failing.log.includes('[bad] about to fail'));
    const ignored = await execute(`steps:\n  - id: bad\n    cmd: ${BUSYBOX} false\n    ignoreErrors: true\n  - id: after\n    cmd: ${BUSYBOX} echo went on\n`);
    assert.equal(ignored.status, 'succeeded', ignored.error);
    assert.deepEqual([ignored.byId.bad!.status, ignored.byId.bad!.ignored, ignored.byId.after!.status], ['failed', true, 'succeeded']);
  });

  it('retries a failing step and repeats a succeeding one', async () => {
    // Fails the first time (no marker yet), succeeds the second.
    const flaky = `sh -c 'if [ -f marker ]; then echo second try; else touch marker; exit 1; fi'`;
    const r = await execute(`steps:\n  - id: flaky\n    cmd: ${BUSYBOX} ${flaky}\n    retries: 2\n    retryDelay: 1\n  - id: rep\n    cmd: ${BUSYBOX} sh -c 'echo x >> count.txt'\n    repeat: 2\n`);
    assert.equal(r.status, 'succeeded', r.error);
    assert.equal(r.byId.flaky!.attempts, 2);
    assert.ok(r.log.includes('[flaky] second try'));
    assert.equal((await fs.readFile(path.join(r.workspace, 'count.txt'), 'utf8')).trim().split('\n').length, 3);
    const exhausted = await execute(`steps:\n  - id: never\n    cmd: ${BUSYBOX} false\n    retries: 1\n    retryDelay: 1\n`);
    assert.equal(exhausted.status, 'failed');
    assert.equal(exhausted.byId.never!.attempts, 2);
  });

  it('masks secrets in the log and keeps them out of the records', async () => {
    const secret = `pw-${randomBytes(6).toString('hex')}`;
    const r = await execute(`secrets: [{id: pw}]\nsteps:\n  - cmd: ${BUSYBOX} sh -c 'echo "plain $PW"; echo "b64 $(echo -n $PW | base64)"; exit 1'\n    env: [PW={{.Secrets.pw}}]\n`, { load: { secrets: { pw: secret } } });
    assert.equal(r.status, 'failed');
    const log = r.log.join('\n');
    assert.ok(!log.includes(secret) && !log.includes(Buffer.from(secret).toString('base64')), log);
    assert.match(log, /plain \*\*\*/);
    assert.match(log, /b64 \*\*\*/);
    assert.ok(!JSON.stringify(r.steps).includes(secret));
  });

  it('a step past its timeout times out; the run leaves no container or network behind', async () => {
    // A second is often over before the container has started: it is killed all the same, and never writes.
    const r = await execute(`steps:\n  - id: slow\n    cmd: ${BUSYBOX} sh -c 'sleep 5; echo late > late.txt'\n    timeout: 1\n  - id: svc\n    cmd: ${BUSYBOX} sleep 60\n    detach: true\n    when: ["-"]\n`);
    assert.equal(r.status, 'failed');
    assert.equal(r.byId.slow!.status, 'timeout');
    assert.match(r.error ?? '', /step slow timed out: timed out after 1 s/);
    await assert.rejects(fs.access(path.join(r.workspace, 'late.txt')), 'the timed-out step ran to its end');
    assert.deepEqual(await leftovers(r.scope), { containers: 0, networks: 0 });
  });

  it('cancel stops running steps and cleans up', async () => {
    const abort = new AbortController();
    // Cancelled once the step says it runs.
    const r = await execute(`steps:\n  - id: long\n    cmd: ${BUSYBOX} sh -c 'echo sleeping; sleep 60'\n  - id: never\n    cmd: ${BUSYBOX} true\n`, {
      signal: abort.signal,
      onLine: (line) => line.includes('[long] sleeping') && abort.abort('canceled'),
    });
    assert.ok(r.log.some((l) => l.includes('[long] sleeping')), r.log.join('\n'));
    assert.equal(r.status, 'canceled');
    assert.deepEqual([r.byId.long!.status, r.byId.never!.status], ['canceled', 'skipped']);
    assert.deepEqual(await leftovers(r.scope), { containers: 0, networks: 0 });
  });

  it('a declared network joins the steps that name it; keep leaves a container, stopped, after the run', async () => {
    const r = await execute(
      `networks: [{name: backend}]\nsteps:\n` +
        `  - id: db\n    cmd: ${BUSYBOX} httpd -f -p 8080 -h /workspace\n    network: backend\n    detach: true\n    keep: true\n` +
        `  - id: probe\n    cmd: ${BUSYBOX} sh -c 'echo ok > ok.txt; wget -q -O - http://db:8080/ok.txt'\n    network: backend\n    retries: 3\n    retryDelay: 1\n`,
    );
    assert.equal(r.status, 'succeeded', `${r.error}\n${r.log.join('\n')}`);
    assert.ok(r.log.includes('[probe] ok'));
    const kept = await docker.listContainers({ all: true, filters: { label: [`slipway.task-run=${r.scope}`] } });
    assert.deepEqual(kept.map((c) => [c.Names[0], c.State]), [[`/${r.scope}-db`, 'exited']]);
    assert.equal((await leftovers(r.scope)).networks, 0);
    await docker.getContainer(kept[0]!.Id).remove({ force: true });
  });

  it('creates the run network when a step first runs a container: a task of build steps creates none', async () => {
    const since = Date.now();
    const built = await execute(`steps:\n  - build: -t ${REGISTRY}/steps/no-network:1 .\n`, { files: { Dockerfile: `FROM ${BUSYBOX}\nRUN true\n` } });
    assert.equal(built.status, 'succeeded', built.error + '\n' + built.log.join('\n'));
    const ran = await execute(`steps:\n  - build: -t ${REGISTRY}/steps/with-network:1 .\n  - cmd: ${BUSYBOX} true\n`, { files: { Dockerfile: `FROM ${BUSYBOX}\n` } });
    assert.equal(ran.status, 'succeeded', ran.error + '\n' + ran.log.join('\n'));
    const created = await networksCreatedSince(since);
    assert.deepEqual(created.filter((name) => name.startsWith(built.scope)), [], 'the build-only run created a network');
    assert.deepEqual(created.filter((name) => name.startsWith(ran.scope)), [ran.scope], 'the run with a cmd step created its default network once');
    assert.deepEqual(await leftovers(ran.scope), { containers: 0, networks: 0 });
  });

  it('a build step runs BuildKit on the source and reports a failing RUN', async () => {
    const nonce = randomBytes(6).toString('hex');
    const missing = await execute('steps:\n  - build: sub\n');
    assert.equal(missing.status, 'failed');
    assert.match(missing.error ?? '', /the build context sub does not exist/);
    const r = await execute(`steps:\n  - build: -t local-${nonce}:v1 -f Dockerfile .\n  - cmd: local-${nonce}:v1 cat /n.txt\n`, {
      files: { Dockerfile: `FROM ${BUSYBOX}\nCOPY n.txt /n.txt\nRUN echo "built ${nonce}"\n`, 'n.txt': nonce },
    });
    assert.equal(r.status, 'succeeded', r.error + r.log.join('\n'));
    assert.ok(r.log.some((l) => l.includes(`built ${nonce}`)), r.log.join('\n'));
    assert.ok(r.log.includes(`[acb_step_1] ${nonce}`));
    await engine.removeImage(`local-${nonce}:v1`);
    const bad = await execute(`steps:\n  - build: .\n`, { files: { Dockerfile: `FROM ${BUSYBOX}\nRUN echo "failing ${nonce}" && exit 3\n` } });
    assert.equal(bad.status, 'failed');
    assert.match(bad.error ?? '', /exit code: 3/);
  });

  it('a build FROM an image an earlier step built, never pushed, builds on that very image; --pull or another platform with it is refused', async () => {
    const nonce = randomBytes(6).toString('hex');
    const image = `${REGISTRY}/t-step-bases/base:${nonce}`;
    const files = {
      Dockerfile: `FROM ${BUSYBOX}\nRUN echo ${nonce} > /a.txt\n`,
      // Through a build arg, next to a stage on a registry image (pinned by digest, since this build cannot force pulls).
      'Dockerfile.b': `ARG BASE\nFROM ${BUSYBOX} AS tool\nRUN echo tool-${nonce} > /t.txt\nFROM \${BASE}\nCOPY --from=tool /t.txt /t.txt\nRUN echo built-b\n`,
      'Dockerfile.c': `FROM ${image}\nRUN test -f /a.txt\n`,
    };
    const r = await execute(
      `steps:\n  - id: a\n    build: -t ${image} .\n` +
        `  - id: b\n    build: -t t-step-bases-b:${nonce} -f Dockerfile.b --build-arg BASE=${image} .\n    when: [a]\n` +
        `  - id: c\n    build: -f Dockerfile.c .\n    when: [a]\n` +
        `  - id: check\n    cmd: t-step-bases-b:${nonce} cat /a.txt /t.txt\n    when: [b]\n`,
      { files },
    );
    const log = r.log.join('\n');
    assert.equal(r.status, 'succeeded', `${r.error}\n${log}`);
    assert.ok(r.log.includes(`[check] ${nonce}`) && r.log.includes(`[check] tool-${nonce}`), log);
    for (const step of ['b', 'c']) assert.ok(r.log.includes(`[${step}] slipway: FROM ${image} is this run's image from step a`), log);
    // The build's own progress names the base as the task file does, not by the run's local name.
    assert.ok(r.log.some((l) => l.startsWith('[c] ') && !l.includes('slipway:') && l.includes(`FROM ${image}`)), log);
    const res = await fetch(`http://${REGISTRY}/v2/t-step-bases/base/manifests/${nonce}`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(res.status, 404, 'step a was never pushed');

    const pull = await execute(`steps:\n  - id: a\n    build: -t ${image} .\n  - id: c\n    build: --pull -f Dockerfile.c .\n    when: [a]\n`, { files });
    assert.equal(pull.status, 'failed');
    assert.match(pull.error ?? '', /step c failed: Dockerfile\.c:1: .* is this run's image from step a, and --pull would look for it in its registry: drop --pull/);

    const arm = await execute(`steps:\n  - id: a\n    build: -t ${image} .\n  - id: c\n    build: --platform linux/arm64 -f Dockerfile.c .\n    when: [a]\n`, { files });
    assert.equal(arm.status, 'failed');
    assert.match(arm.error ?? '', /step c failed: Dockerfile\.c:1: .* is this run's image from step a, built for linux\/amd64, and this build needs it for linux\/arm64/);
  });

  for (const example of ['build-push-cmd.yaml', 'parallel.yaml', 'service-by-id.yaml', 'secrets-values.yaml']) {
    it(`the example ${example} runs as written`, async () => {
      const text = await fs.readFile(new URL(example, EXAMPLES), 'utf8');
      const secret = `tok-${randomBytes(6).toString('hex')}`;
      const r = await execute(text, { copyExamples: true, load: { values: { greeting: 'hi' }, secrets: { token: secret } } });
      assert.equal(r.status, 'succeeded', `${r.error}\n${r.log.join('\n')}`);
      const log = r.log.join('\n');
      if (example === 'build-push-cmd.yaml') {
        assert.ok(r.log.includes(`[test] hello from the built image: run ${r.runId}`), log);
        const pushed = r.byId.push!.pushed!;
        assert.deepEqual(pushed.map((p) => p.reference), [`${REGISTRY}/slipway-examples/app:${r.runId}`]);
        const res = await fetch(`http://${REGISTRY}/v2/slipway-examples/app/manifests/${r.runId}`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' } });
        assert.equal(res.headers.get('docker-content-digest'), pushed[0]!.digest);
        await engine.removeImage(`${REGISTRY}/slipway-examples/app:${r.runId}`);
      }
      if (example === 'parallel.yaml') assert.ok(r.log.includes('[join] left') && r.log.includes('[join] right'), log);
      if (example === 'service-by-id.yaml') assert.ok(r.log.includes('[client] page'), log);
      if (example === 'secrets-values.yaml') {
        assert.ok(r.log.includes('[acb_step_0] hi, token ***'), log);
        assert.ok(r.log.includes('[acb_step_0] ***'), log);
        assert.ok(!log.includes(secret));
      }
      assert.deepEqual(await leftovers(r.scope), { containers: 0, networks: 0 });
    });
  }
});
