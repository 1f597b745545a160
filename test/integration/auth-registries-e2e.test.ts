// End to end on the stack's registries that need a login (scripts/stack.sh): htpasswd over TLS and token auth
// over TLS, with the login stored through the API as `slipway registry login` stores it, and a real API,
// worker, Engine and BuildKit. Without the login every use of them (a build's pull, a push, a task file's push
// and cmd steps, the base poller) fails naming the registry and its 401; with it, a multi-platform index is
// pushed there, a task file builds, pushes and runs private images, and a base image changed there is found by
// polling and rebuilds what is built on it. No password reaches a run's log or record, or Redis.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { RegistryClient } from '../../src/registry/client.js';
import { digestOf } from '../../src/registry/digest.js';
import { MediaTypes } from '../../src/registry/manifests.js';
import { parseImageReference, type ImageReference } from '../../src/registry/reference.js';
import { apiFetch, getRun, runLog, submit, waitForRun, type RunBody } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { authRegistries } from '../support/auth-registries.js';
import { runSlipway } from '../support/cli.js';
import { redisDump } from '../support/redis-dump.js';
import { aofHolds, assertAbsent, passwordForms } from '../support/secret-leaks.js';
import { REDIS_URL, REGISTRY, ROOT, uniqueName } from '../support/stack.js';
import { withGitStack } from '../support/with-stack.js';

const regs = authRegistries();
const KINDS = ['tls', 'token'] as const;
type Kind = (typeof KINDS)[number];
const hostOf = (kind: Kind) => regs[kind].registry;
const userOf = (kind: Kind) => regs[kind].username;
const id = uniqueName('e2e').slice(2);
const repo = (kind: Kind, name: string) => `${hostOf(kind)}/slipway-test/${name}-${id}`;

/** The test's own client, logged in to both registries with the stack's users, trusting the stack's CA. */
const client = new RegistryClient({
  tls: { caFile: regs.caFile, insecure: [] },
  credentials: (registry) => KINDS.map((k) => (hostOf(k) === registry ? { username: userOf(k), password: regs.password } : undefined)).find(Boolean),
});
const pushed: { ref: ImageReference; digest: string }[] = [];

/**
 * Pushes a base image built from the stack's busybox bases (an index when several architectures are given), each
 * config labelled with `nonce` so that every call gives a new digest; returns the digest `ref` then names.
 */
async function pushBase(ref: ImageReference, arches: readonly string[], nonce: string): Promise<string> {
  const open = new RegistryClient();
  const entries = [];
  for (const arch of arches) {
    const source: ImageReference = { registry: REGISTRY, repository: 'base/busybox', tag: arch };
    const manifest = await open.getManifest(source);
    if (!('config' in manifest.body)) throw new Error(`base/busybox:${arch} is not an image manifest`);
    for (const layer of manifest.body.layers) await client.pushBlob(ref, await open.getBlob(source, layer.digest, 64 * 1024 * 1024));
    const config = JSON.parse((await open.getBlob(source, manifest.body.config.digest)).toString('utf8'));
    config.config = { ...config.config, Labels: { 'slipway.test.nonce': nonce } };
    const configBytes = Buffer.from(JSON.stringify(config));
    await client.pushBlob(ref, configBytes);
    const body = { ...JSON.parse(manifest.raw.toString('utf8')), config: { ...manifest.body.config, digest: digestOf(configBytes), size: configBytes.length } };
    const raw = Buffer.from(JSON.stringify(body));
    const digest = await client.putManifest({ ...ref, tag: undefined, digest: digestOf(raw) }, raw, manifest.mediaType);
    pushed.push({ ref, digest });
    entries.push({ mediaType: manifest.mediaType, size: raw.length, digest, platform: { os: 'linux', architecture: arch } });
  }
  if (entries.length === 1) {
    const only = await client.getManifest({ ...ref, tag: undefined, digest: entries[0]!.digest });
    await client.putManifest(ref, only.raw, only.mediaType);
    return only.digest;
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: entries }));
  const digest = await client.putManifest(ref, index, MediaTypes.ociIndex);
  pushed.push({ ref, digest });
  return digest;
}

describe('the stack’s auth registries end to end', () => {
  const hooks = withGitStack({
    platforms: 'linux/amd64,linux/arm64',
    env: {
      // Both registries listen on the Docker bridge's address, and the token realm on loopback.
      SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS: '1',
      SLIPWAY_POLL_INTERVALS: KINDS.map((k) => `${hostOf(k)}=1`).join(','),
    },
  });
  const privateBase = { tls: `${repo('tls', 'base')}:v1`, token: `${repo('token', 'base')}:v1` };
  const runs: RunBody[] = [];
  const logs: string[] = [];

  const api = (method: string, path: string, body?: unknown) =>
    apiFetch(`${hooks.stack.url}${path}`, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
  const login = (kind: Kind) => api('POST', '/v1/registries', { host: hostOf(kind), username: userOf(kind), password: regs.password });
  const logout = (kind: Kind) => api('DELETE', `/v1/registries/${encodeURIComponent(hostOf(kind))}`);
  const finished = async (runId: string): Promise<{ run: RunBody; log: string }> => {
    const run = await waitForRun(hooks.stack.url, runId);
    const log = await runLog(hooks.stack.url, run.id);
    runs.push(run);
    logs.push(log);
    return { run, log };
  };
  const build = async (dockerfile: string, run: Record<string, unknown>, files: Record<string, string> = {}) => {
    const res = await submit(hooks.stack.url, await contextArchive(dockerfile, files), run);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return finished(res.body.id);
  };
  /** The run failed, and its error (not only its log) names the registry and says it was refused a login. */
  const refusedBy = (kind: Kind, { run, log }: { run: RunBody; log: string }) => {
    assert.equal(run.status, 'failed', `${run.error}\n${log}`);
    assert.ok(run.error?.includes(hostOf(kind)), `the error names ${hostOf(kind)}: ${run.error}`);
    assert.match(run.error ?? '', /401|unauthori[sz]ed/i);
  };

  before(async () => {
    for (const kind of KINDS) await pushBase(parseImageReference(privateBase[kind]), ['amd64', 'arm64'], `base-${kind}`);
  });
  after(async () => {
    for (const { ref, digest } of pushed.reverse()) await client.deleteManifest(ref, digest).catch(() => undefined);
    // cmd steps leave what they pulled on the Engine; nothing else uses these names.
    const docker = new Docker({ socketPath: '/var/run/docker.sock' });
    for (const image of await docker.listImages()) {
      if ([...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])].some((name) => name.includes(id))) {
        await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
      }
    }
  });

  for (const kind of KINDS) {
    it(`without a login, ${kind}: a pull, a multi-platform push, a task file's push and cmd steps each fail naming the registry and its 401`, async () => {
      const target = `${repo(kind, 'refused')}:v1`;
      const taskFile = (steps: string) => ({ 'acb.yaml': `version: v1.1.0\nsteps:\n${steps}` });
      const [pull, push, pushStep, cmd] = await Promise.all([
        build(`FROM ${privateBase[kind]}\nCOPY hello /hello\n`, { noPush: true }, { hello: 'pull\n' }),
        build('FROM scratch\nCOPY hello /hello\n', { images: [target], platform: 'linux/amd64,linux/arm64' }, { hello: 'push\n' }),
        build('FROM scratch\nCOPY hello /hello\n', { taskFile: 'acb.yaml' }, { hello: 'push step\n', ...taskFile(`  - build: -t ${target} .\n  - push: ["${target}"]\n`) }),
        build('FROM scratch\n', { taskFile: 'acb.yaml' }, taskFile(`  - cmd: ${privateBase[kind]} echo never\n`)),
      ]);
      refusedBy(kind, pull);
      refusedBy(kind, push);
      refusedBy(kind, pushStep);
      refusedBy(kind, cmd);
      assert.equal(await client.headManifest(parseImageReference(target)), undefined, 'nothing reached the registry');
    });
  }

  it('slipway registry login stores a login for each registry, listed without its password', async () => {
    for (const kind of KINDS) {
      const out = await runSlipway(['registry', 'login', hostOf(kind), '-u', userOf(kind), '--password-stdin'], { cwd: ROOT, env: hooks.stack.env, input: `${regs.password}\n` });
      assert.equal(out.code, 0, out.stderr);
    }
    const listed = await (await api('GET', '/v1/registries')).json();
    assert.deepEqual(
      listed.registries.map((l: { host: string; username: string }) => `${l.username}@${l.host}`).sort(),
      KINDS.map((k) => `${userOf(k)}@${hostOf(k)}`).sort(),
    );
    assertAbsent('the list', JSON.stringify(listed), passwordForms(regs.password, regs.tls.username));
  });

  for (const [from, to] of [['token', 'tls'], ['tls', 'token']] as const) {
    it(`a multi-platform build FROM the ${from} registry's private base is pushed to the ${to} registry as an index of both platforms`, async () => {
      const image = `${repo(to, `multi-from-${from}`)}:v1`;
      const { run, log } = await build(`FROM ${privateBase[from]}\nCOPY hello /hello\n`, { images: [image], platform: 'linux/amd64,linux/arm64' }, { hello: `${from}\n` });
      assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
      const index = await client.getManifest(parseImageReference(image));
      pushed.push({ ref: parseImageReference(image), digest: index.digest });
      assert.equal(index.digest, run.indexDigest);
      assert.ok('manifests' in index.body, `an index: ${index.raw.toString('utf8')}`);
      const platforms = index.body.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).sort();
      assert.deepEqual(platforms, ['linux/amd64', 'linux/arm64']);
      for (const entry of index.body.manifests) {
        const manifest = await client.getManifest({ ...parseImageReference(image), tag: undefined, digest: entry.digest });
        assert.ok('config' in manifest.body);
        const config = JSON.parse((await client.getBlob(parseImageReference(image), manifest.body.config.digest)).toString('utf8'));
        assert.equal(config.architecture, entry.platform?.architecture, 'each entry is the build for its platform');
      }
    });
  }

  it('a task file builds FROM private bases of both registries, pushes to both and runs a private image of each as a cmd step', async () => {
    const images = KINDS.map((k) => `${repo(k, 'taskfile')}:$ID`);
    const nonce = uniqueName('ran');
    const taskFile = `version: v1.1.0
steps:
  - build: ${images.map((i) => `-t ${i}`).join(' ')} .
  - push: [${images.map((i) => `"${i}"`).join(', ')}]
${KINDS.map((k) => `  - cmd: ${privateBase[k]} echo ${nonce}-${k}`).join('\n')}
`;
    const dockerfile = `FROM ${privateBase.token} AS fromtoken\nFROM ${privateBase.tls}\nCOPY --from=fromtoken /bin/busybox /from-token\nCOPY hello /hello\n`;
    const { run, log } = await build(dockerfile, { taskFile: 'acb.yaml' }, { 'acb.yaml': taskFile, hello: 'task file\n' });
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    for (const kind of KINDS) assert.match(log, new RegExp(`${nonce}-${kind}`), `the ${kind} cmd step ran`);
    const digests = [];
    for (const image of images) {
      const ref = parseImageReference(image.replace('$ID', run.id));
      const head = await client.headManifest(ref);
      assert.ok(head, `${image} was pushed`);
      pushed.push({ ref, digest: head.digest });
      digests.push(head.digest);
    }
    assert.equal(digests[0], digests[1], 'one image, pushed to both');
  });

  it('a base image changed on either registry is found by polling and rebuilds the task built on it; without the login the poll fails naming the registry', async () => {
    const { stack, git } = hooks;
    const pollBase = { tls: `${repo('tls', 'poll-base')}:latest`, token: `${repo('token', 'poll-base')}:latest` };
    for (const kind of KINDS) await pushBase(parseImageReference(pollBase[kind]), ['amd64'], `poll-${kind}-1`);
    await git.createRepo('app');
    await git.commit('app', { Dockerfile: `FROM ${pollBase.token} AS fromtoken\nFROM ${pollBase.tls}\nCOPY --from=fromtoken /bin/busybox /from-token\nCOPY Dockerfile /app\n` }, 'app');
    const task = uniqueName('poll');
    // `all`: the token registry's base is a build-time one.
    const created = await api('POST', '/v1/tasks', { name: task, context: `${git.httpUrl('app')}#main`, noPush: true, commitTrigger: false, baseImageTrigger: 'all' });
    assert.equal(created.status, 201, await created.text());
    const first = await api('POST', `/v1/tasks/${task}/runs`);
    assert.equal(first.status, 202, await first.clone().text());
    const built = await finished(((await first.json()) as RunBody).id);
    assert.equal(built.run.status, 'succeeded', `${built.run.error}\n${built.log}`);

    for (const kind of KINDS) {
      assert.equal((await logout(kind)).status, 204);
      const moved = await pushBase(parseImageReference(pollBase[kind]), ['amd64'], `poll-${kind}-2`);
      // A poll may also end for another reason (its lease ran out on a slow machine): the refusal is the one waited for.
      const errorOf = (e: Record<string, unknown>) => String((e.err as { message?: unknown } | undefined)?.message);
      const [refused] = await stack.apiLogged(`the poll of ${hostOf(kind)} refused`, (e) => e.msg === 'base image not polled' && e.image === pollBase[kind] && /401|unauthori[sz]ed/i.test(errorOf(e)), 1, 120_000);
      assert.ok(errorOf(refused!).includes(hostOf(kind)), errorOf(refused!));

      assert.equal((await login(kind)).status, 201);
      const [planned] = await stack.apiLogged(`a wave for ${pollBase[kind]}`, (e) => e.msg === 'base image changed: rebuild wave planned' && e.image === pollBase[kind], 1, 120_000);
      assert.equal(planned!.source, 'poll');
      const [queued] = await stack.apiLogged(`the rebuild of ${task}`, (e) => e.msg === 'base-image rebuild queued' && e.wave === planned!.wave && e.task === task, 1, 120_000);
      const { run, log } = await finished(String(queued!.runId));
      assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
      const trigger = run.trigger as { type?: string; image?: string };
      assert.deepEqual([trigger.type, trigger.image], ['base-image', pollBase[kind]]);
      assert.match(JSON.stringify(run.baseImages), new RegExp(moved), 'the rebuild used the new base');
    }
  });

  it('no password in any run log or record, in the Redis values or in the AOF file', async () => {
    const secrets = KINDS.flatMap((k) => passwordForms(regs.password, userOf(k)));
    for (const [i, run] of runs.entries()) {
      assertAbsent(`run ${run.id}'s log and record`, `${logs[i]}\n${JSON.stringify(await getRun(hooks.stack.url, run.id))}`, secrets);
    }
    assertAbsent('Redis', await redisDump(REDIS_URL, hooks.stack.prefix), secrets);
    assert.deepEqual(await aofHolds(REDIS_URL, [...new Set(secrets)]), [], "Redis's AOF file holds a password");
  });
});
