// The compose deployment as a user runs it (scripts/test-deploy.sh brings docker-compose.yml up and points
// SLIPWAY_SERVER and SLIPWAY_TOKEN at it): the CLI on the host builds a folder and pushes it to the
// deployment's own registry, a task builds from git, and a push of the task's base to that registry starts
// the task's rebuild through the registry's notifications.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../src/registry/client.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { folderWith, runSlipway } from '../support/cli.js';
import { GitServer } from '../support/git-server.js';

const run = promisify(execFile);
const docker = (args: string[]) => run('/usr/bin/docker', args);
const server = process.env.SLIPWAY_SERVER;
const token = process.env.SLIPWAY_TOKEN;
const registryHost = `localhost:${process.env.SLIPWAY_REGISTRY_PORT ?? '5000'}`;
const STACK_BASE = '127.0.0.1:5000/base/busybox:amd64';

describe('the compose deployment', { skip: !server || !token ? 'run through npm run test:deploy' : false }, () => {
  let git: GitServer;
  const registry = new RegistryClient();
  const env = { ...process.env, SLIPWAY_SERVER: server, SLIPWAY_TOKEN: token, NO_COLOR: '1' };
  const api = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${server}${route}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };
  const runOf = async (id: string) => {
    for (;;) {
      const run = (await api('GET', `/v1/runs/${id}`)).body;
      if (['succeeded', 'failed', 'error', 'canceled', 'timeout'].includes(run.status)) return run;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  before(async () => {
    git = await GitServer.start({ daemon: false });
    // The deployment's registry starts empty: its base comes from the machine's test registry.
    await docker(['pull', '-q', STACK_BASE]);
    await docker(['tag', STACK_BASE, `${registryHost}/base/busybox:1`]);
    await docker(['push', `${registryHost}/base/busybox:1`]);
  });
  after(async () => {
    await git?.stop();
  });

  it('builds a folder with the CLI from the host and pushes it to the deployment registry', async () => {
    const nonce = randomUUID();
    const dir = await folderWith({ Dockerfile: `FROM ${registryHost}/base/busybox:1\nRUN echo ${nonce} > /nonce\n` });
    const image = `${registryHost}/deploy/app:v1`;
    const result = await runSlipway(['build', '-q', '-t', image, dir], { cwd: dir, env, timeoutMs: 300_000 });
    assert.equal(result.code, 0, result.stderr);
    const digest = result.stdout.trim().split('@')[1];
    assert.match(digest ?? '', /^sha256:/);
    assert.equal((await registry.headManifest(parseImageReference(image)))?.digest, digest, 'the registry holds what the CLI printed');
  });

  it('builds a task from git, and rebuilds it when its base is pushed to the deployment registry', async () => {
    await git.createRepo('app');
    await git.commit('app', { Dockerfile: `FROM ${registryHost}/base/busybox:1\nCOPY version.txt /version.txt\n`, 'version.txt': 'one\n' });
    const name = `deploy-${randomUUID().slice(0, 8)}`;
    const created = await api('POST', '/v1/tasks', { name, context: `${git.httpUrl('app')}#main`, images: [`${registryHost}/deploy/${name}:{{.Run.ID}}`], commitTrigger: false });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const first = await runOf((await api('POST', `/v1/tasks/${name}/runs`)).body.id);
    assert.equal(first.status, 'succeeded', first.error);

    // A new base under the same tag: the registry notifies the API, which rebuilds the task.
    const dir = await folderWith({ Dockerfile: `FROM ${STACK_BASE}\nRUN echo ${randomUUID()} > /patch\n` });
    const pushed = await runSlipway(['build', '-q', '-t', `${registryHost}/base/busybox:1`, dir], { cwd: dir, env, timeoutMs: 300_000 });
    assert.equal(pushed.code, 0, pushed.stderr);
    const deadline = Date.now() + 120_000;
    let rebuild: any;
    while (!rebuild && Date.now() < deadline) {
      const runs = (await api('GET', '/v1/runs?top=200')).body.runs as any[];
      rebuild = runs.find((r) => r.task === name && r.trigger?.type === 'base-image');
      if (!rebuild) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(rebuild, 'a base-image rebuild of the task was queued');
    assert.equal((await runOf(rebuild.id)).status, 'succeeded');
  });
});
