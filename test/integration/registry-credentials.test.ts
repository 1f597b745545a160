// Registry logins end to end, on a registry of the test's own that needs one (htpasswd): without a login a
// build FROM its private base fails naming it; with a wrong one too, and the wrong password shows nowhere; with
// `slipway registry login` a build FROM the private base pushes there, a multi-platform index is assembled
// there, and a task file builds, pushes and runs the private image as a cmd step. The API's edges refuse what
// they should, and afterwards no password is in Redis (values, and the AOF file when it can be read).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { RegistryCredentialStore } from '../../src/credentials/store.js';
import { createRedis } from '../../src/redis.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { Keyring } from '../../src/secrets/sealed.js';
import { SlipwayKeys } from '../../src/store/keys.js';
import { getRun, runLog, submit, waitForRun, type RunBody } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { startAuthRegistry, type AuthRegistry } from '../support/auth-registry.js';
import { runSlipway } from '../support/cli.js';
import { GitServer } from '../support/git-server.js';
import { redisDump } from '../support/redis-dump.js';
import { aofHolds, assertAbsent, passwordForms as forms } from '../support/secret-leaks.js';
import { BASE_IMAGE, ROOT, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

const exec = promisify(execFile);
const REDIS_URL = process.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('registry logins on a registry that needs one', () => {
  let stack: TestStack;
  let registry: AuthRegistry;
  let privateBase: string;
  let git: GitServer | undefined;
  const wrongPassword = `wrong-${uniqueName('pw')}`;
  const cli = (args: string[], input?: string) => runSlipway(args, { cwd: ROOT, env: stack.env, ...(input !== undefined ? { input } : {}) });
  const api = (method: string, path: string, body?: string, contentType = 'application/json') =>
    fetch(`${stack.url}${path}`, { method, headers: { ...stack.authHeaders(), ...(body !== undefined ? { 'content-type': contentType } : {}) }, ...(body !== undefined ? { body } : {}) });
  const build = async (dockerfile: string, run: Record<string, unknown>, files: Record<string, string> = {}): Promise<{ run: RunBody; log: string }> => {
    const res = await submit(stack.url, await contextArchive(dockerfile, files), run);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const done = await waitForRun(stack.url, res.body.id);
    return { run: done, log: await runLog(stack.url, done.id) };
  };
  const secrets = () => [...forms(registry.password, registry.username), ...forms(wrongPassword, registry.username)];
  /** The run's error (not just its log, which names the FROM image anyway) names the registry and says it refused. */
  const refusedBy = (run: RunBody) => {
    assert.ok(run.error?.includes(registry.host), `the error names ${registry.host}: ${run.error}`);
    assert.match(run.error ?? '', /401|unauthori[sz]ed|authori[sz]/i);
  };

  before(async () => {
    registry = await startAuthRegistry('ci-bot', `pw-${uniqueName('right')}`);
    privateBase = `${registry.host}/private/busybox:amd64`;
    await registry.copyFrom(BASE_IMAGE, privateBase);
    // The test registry is on the loopback, which registries reach only when the operator allows private hosts.
    stack = await startTestStack({
      platforms: 'linux/amd64,linux/arm64',
      env: { SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS: '1', SLIPWAY_GIT_ALLOW_INSECURE: '1', SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1' },
    });
  });
  after(async () => {
    try {
      if (stack) assertAbsent('Redis', await redisDump(REDIS_URL, stack.prefix), secrets());
      if (registry) assert.deepEqual(await aofHolds(REDIS_URL, [registry.password, wrongPassword]), [], "Redis's AOF file holds a password");
    } finally {
      await stack?.close();
      await registry?.stop();
      await git?.stop();
    }
  });

  it('fails a build FROM a private base without a login, naming the registry', async () => {
    const { run, log } = await build(`FROM ${privateBase}\nRUN echo no-login\n`, { noPush: true });
    assert.equal(run.status, 'failed', log);
    refusedBy(run);
    // The API's own registry client (graph notify, polling) has no login either.
    const notify = await api('POST', '/v1/graph/notify', JSON.stringify({ image: privateBase }));
    const answer = await notify.json();
    assert.equal(answer.error?.code, 'registry_unauthorized', JSON.stringify(answer));
    assert.ok(answer.error.message.includes(registry.host), answer.error.message);
  });

  it('with a wrong password, fails the build naming the registry and shows the password nowhere', async () => {
    const login = await cli(['registry', 'login', registry.host, '-u', registry.username, '--password-stdin'], `${wrongPassword}\n`);
    assert.equal(login.code, 0, login.stderr);
    const { run, log } = await build(`FROM ${privateBase}\nRUN echo wrong-login\n`, { images: [`${registry.host}/app/wrong:v1`] });
    assert.equal(run.status, 'failed', log);
    refusedBy(run);
    assertAbsent('the log and record', `${log}\n${JSON.stringify(await getRun(stack.url, run.id))}`, forms(wrongPassword, registry.username));
    // A build that pulls nothing from it fails at the push, as clearly.
    const pushed = await build('FROM scratch\nCOPY hello /hello\n', { images: [`${registry.host}/app/wrong:v2`] }, { hello: `${uniqueName('h')}\n` });
    assert.equal(pushed.run.status, 'failed', pushed.log);
    assert.ok(pushed.run.error?.includes(`registry ${registry.host} refused the push`), pushed.run.error);
    assertAbsent('the log and record', `${pushed.log}\n${JSON.stringify(await getRun(stack.url, pushed.run.id))}`, forms(wrongPassword, registry.username));
  });

  it('logs in with --password-stdin, lists the login without its password, then builds FROM the private base and pushes there', async () => {
    const login = await cli(['registry', 'login', registry.host, '-u', registry.username, '--password-stdin'], `${registry.password}\n`);
    assert.equal(login.code, 0, login.stderr);
    const list = await cli(['registry', 'list', '-o', 'json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      JSON.parse(list.stdout).map((l: Record<string, unknown>) => ({ host: l.host, username: l.username })),
      [{ host: registry.host, username: registry.username }],
    );
    assertAbsent('registry list', list.stdout + list.stderr + login.stdout + login.stderr, secrets());

    const image = `${registry.host}/app/single:v1`;
    const { run, log } = await build(`FROM ${privateBase}\nRUN echo built-from-private > /proof\n`, { images: [image] });
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    const pushed = await registry.client.headManifest(parseImageReference(image));
    assert.equal(pushed?.digest, run.outputImages[0]?.digest, 'the image is in the registry under the digest the run recorded');
    const bases = JSON.stringify((await getRun(stack.url, run.id)).baseImages ?? []);
    assert.ok(bases.includes('private/busybox') && bases.includes('sha256:'), `the private base's digest is recorded: ${bases}`);
    assertAbsent('the log and record', `${log}\n${JSON.stringify(run)}`, secrets());

    // The API's registry client uses the server's login: graph notify reads the private base's digest.
    const notify = await api('POST', '/v1/graph/notify', JSON.stringify({ image: privateBase }));
    const answer = await notify.json();
    assert.equal(notify.status, 202, JSON.stringify(answer));
    assert.match(JSON.stringify(answer.platforms), /sha256:[0-9a-f]{64}/);
  });

  it('pushes a multi-platform index there', async () => {
    const image = `${registry.host}/app/multi:v1`;
    const { run, log } = await build('FROM scratch\nCOPY hello /hello\n', { images: [image], platform: 'linux/amd64,linux/arm64' }, { hello: 'hi\n' });
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    const index = await registry.client.getManifest(parseImageReference(image));
    assert.equal(index.digest, run.indexDigest);
    assert.ok('manifests' in index.body && index.body.manifests.length === 2, JSON.stringify(index.body));
  });

  it('runs a task file that builds FROM the private base, pushes there and runs the private image as a cmd step', async () => {
    const image = `${registry.host}/app/taskfile:$ID`;
    const taskFile = `version: v1.1.0
steps:
  - build: -t ${image} .
  - push: ["${image}"]
  - cmd: ${privateBase} echo private-step-ran-${uniqueName('c')}
`;
    const { run, log } = await build(`FROM ${privateBase}\nRUN echo task-file-build\n`, { taskFile: 'acb.yaml' }, { 'acb.yaml': taskFile });
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    assert.match(log, /private-step-ran-/);
    const pushed = await registry.client.headManifest(parseImageReference(`${registry.host}/app/taskfile:${run.id}`));
    assert.ok(pushed, 'the push step pushed');
    assertAbsent('the log and record', `${log}\n${JSON.stringify(run)}`, secrets());
    await exec('docker', ['rmi', '-f', privateBase, `${registry.host}/app/taskfile:${run.id}`]).catch(() => undefined);
  });

  it('refuses what it should at the API: bad hosts, names and passwords, bad JSON, unknown tasks and logins; never echoing a password', async () => {
    const password = `pw-${uniqueName('edge')}`;
    const bad: [string, Record<string, unknown>][] = [
      ['a URL', { host: 'https://ghcr.io/v2', username: 'u', password }],
      ['a space', { host: 'ghcr .io', username: 'u', password }],
      ['a user', { host: 'bot@ghcr.io', username: 'u', password }],
      ['too long', { host: `${'a'.repeat(63)}.`.repeat(5) + 'io', username: 'u', password }],
      ['a colon in the user', { host: 'ghcr.io', username: 'a:b', password }],
      ['a newline in the password', { host: 'ghcr.io', username: 'u', password: `${password}\n` }],
      ['a short password', { host: 'ghcr.io', username: 'u', password: 'abc' }],
      ['a huge password', { host: 'ghcr.io', username: 'u', password: 'x'.repeat(9000) }],
      ['an unknown field', { host: 'ghcr.io', username: 'u', password, email: 'a@b.c' }],
      ['a bad task name', { host: 'ghcr.io', username: 'u', password, task: '../etc' }],
    ];
    for (const [what, body] of bad) {
      const res = await api('POST', '/v1/registries', JSON.stringify(body));
      const text = await res.text();
      assert.equal(res.status, 400, `${what}: ${text}`);
      assertAbsent(`the answer to ${what}`, text, [password]);
    }
    const broken = await api('POST', '/v1/registries', `{"host":"ghcr.io","username":"u","password":"${password}",}`);
    const brokenText = await broken.text();
    assert.equal(broken.status, 400, brokenText);
    assertAbsent('the answer to broken JSON', brokenText, [password]);
    assert.equal((await api('POST', '/v1/registries', JSON.stringify({ host: 'ghcr.io', username: 'u', password }), 'text/plain')).status, 415);
    const unknownTask = await api('POST', '/v1/registries', JSON.stringify({ host: 'ghcr.io', username: 'u', password, task: uniqueName('task') }));
    assert.equal(unknownTask.status, 404, await unknownTask.text());
    assert.equal((await api('DELETE', `/v1/registries/${encodeURIComponent('never.example.com')}`)).status, 404);
    assert.equal((await api('DELETE', `/v1/registries/${encodeURIComponent('../../v1/tokens')}`)).status, 404);
    const listed = await (await api('GET', '/v1/registries')).text();
    assertAbsent('the list', listed, [password, ...secrets()]);
    assert.ok(!listed.includes('password') && !listed.includes('sealed'), listed);
  });

  it('logs out: the login is gone, and a build FROM the private base fails again', async () => {
    const out = await cli(['registry', 'logout', registry.host]);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual((await (await api('GET', '/v1/registries')).json()).registries, []);
    const { run, log } = await build(`FROM ${privateBase}\nRUN echo after-logout\n`, { noPush: true });
    assert.equal(run.status, 'failed', log);
  });

  it("serves a task's own login to that task's runs only, and drops it with the task", async () => {
    git = await GitServer.start({ daemon: false });
    await git.createRepo('app');
    await git.commit('app', { Dockerfile: `FROM ${privateBase}\nRUN echo ${uniqueName('task-build')}\n` }, 'first');
    const task = async (name: string) => {
      const res = await api('POST', '/v1/tasks', JSON.stringify({ name, context: `${git!.httpUrl('app')}#main`, noPush: true, commitTrigger: false }));
      assert.equal(res.status, 201, await res.text());
    };
    const runOf = async (name: string) => {
      const res = await api('POST', `/v1/tasks/${name}/runs`);
      assert.equal(res.status, 202, await res.clone().text());
      const run = await waitForRun(stack.url, ((await res.json()) as RunBody).id);
      return { run, log: await runLog(stack.url, run.id) };
    };
    const [own, other] = [uniqueName('own'), uniqueName('other')];
    await task(own);
    await task(other);
    const add = await cli(['task', 'credential', 'add', own, '--login-server', registry.host, '-u', registry.username, '--password-stdin'], registry.password);
    assert.equal(add.code, 0, add.stderr);

    const ownRun = await runOf(own);
    assert.equal(ownRun.run.status, 'succeeded', `${ownRun.run.error}\n${ownRun.log}`);
    const otherRun = await runOf(other);
    assert.equal(otherRun.run.status, 'failed', otherRun.log);
    refusedBy(otherRun.run);

    assert.equal((await api('DELETE', `/v1/tasks/${own}`)).status, 204);
    assert.deepEqual((await (await api('GET', '/v1/registries')).json()).registries, [], 'the deleted task took its login with it');
  });
});

describe('registry logins refused for hosts the server does not contact', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ worker: false });
  });
  after(async () => stack?.close());

  it('refuses a login for a loopback, private or link-local registry, naming the setting', async () => {
    for (const host of ['127.0.0.1:5001', '10.0.0.8:5000', '169.254.169.254', 'localhost:5000']) {
      const res = await fetch(`${stack.url}/v1/registries`, {
        method: 'POST',
        headers: { ...stack.authHeaders(), 'content-type': 'application/json' },
        body: JSON.stringify({ host, username: 'u', password: 'private-password' }),
      });
      const body = await res.json();
      assert.equal(res.status, 400, `${host}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, 'registry_not_allowed');
      assert.match(body.error.message, /SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS/);
    }
  });
});

describe("a task's logins", () => {
  const redis = createRedis(REDIS_URL, 'test-task-logins');
  const prefix = uniqueName('task-logins');
  const store = new RegistryCredentialStore(redis, prefix, new Keyring([Keyring.generateKey()]));
  after(async () => {
    await redis.del(new SlipwayKeys(prefix).registryCredentials);
    redis.disconnect();
  });

  it("serve that task's runs only, in place of the server's for the same registry, and go with the task", async () => {
    await store.save({ host: 'ghcr.io', username: 'server-bot', password: 'server-password' });
    await store.save({ host: 'GHCR.io', username: 'task-a-bot', password: 'task-a-password', task: 'task-a' });
    await store.save({ host: 'index.docker.io', username: 'task-a-hub', password: 'task-a-hub-password', task: 'task-a' });
    const hosts = (logins: { host: string; username: string }[]) => logins.map((l) => `${l.username}@${l.host}`).sort();
    assert.deepEqual(hosts(await store.forRun('task-a')), ['task-a-bot@ghcr.io', 'task-a-hub@docker.io']);
    assert.deepEqual(hosts(await store.forRun('task-b')), ['server-bot@ghcr.io'], "another task's runs get the server's logins only");
    assert.deepEqual(hosts(await store.forRun()), ['server-bot@ghcr.io']);
    assert.equal((await store.forRun('task-a')).find((l) => l.host === 'ghcr.io')?.password, 'task-a-password');
    const stored = JSON.stringify(await redis.hgetall(new SlipwayKeys(prefix).registryCredentials));
    assertAbsent('the stored logins', stored, ['server-password', 'task-a-password', 'task-a-hub-password']);
    await store.removeTask('task-a');
    assert.deepEqual(hosts(await store.forRun('task-a')), ['server-bot@ghcr.io'], 'a new task of the same name inherits nothing');
  });
});
