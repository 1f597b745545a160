// Base-image rebuilds on the real stack: a registry of the test's own sends its notifications to the API,
// tasks build from a git server on loopback, and pushing a new base image rebuilds what is built on it —
// each task once, in dependency order, and nothing for a push of the same digest.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { Run } from '../../src/runs/model.js';
import { GraphStore } from '../../src/graph/store.js';
import { createRedis } from '../../src/redis.js';
import { apiFetch, registryDigest, submit, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { GitServer } from '../support/git-server.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { BASE_IMAGE, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

const run = promisify(execFile);
const TOKEN = 'registry-notify-token-for-tests';
const MANIFEST_ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

/** Pushes `image` built from the busybox base plus a layer of its own (a nonce file), as anyone would with docker. */
async function pushBase(image: string, nonce: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-base-'));
  try {
    await fs.writeFile(path.join(dir, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY base-version /base-version\n`);
    await fs.writeFile(path.join(dir, 'base-version'), `${nonce}\n`);
    await run('docker', ['build', '-q', '-t', image, dir], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    await run('docker', ['push', image]);
    await run('docker', ['rmi', image]).catch(() => undefined);
    const [host, ...rest] = image.split('/');
    const [repo, tag] = rest.join('/').split(':');
    return (await registryDigest(host!, repo!, tag!))!;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function layersOf(image: string): Promise<string[]> {
  const [host, ...rest] = image.split('/');
  const [repo, tag] = rest.join('/').split(':');
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { headers: { accept: MANIFEST_ACCEPT } });
  assert.equal(res.status, 200, `manifest of ${image}`);
  return ((await res.json()) as { layers: { digest: string }[] }).layers.map((l) => l.digest);
}

async function send(url: string, method: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await apiFetch(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function taskRuns(url: string, task: string): Promise<Run[]> {
  return (await send(`${url}/v1/tasks/${task}/runs?top=100`, 'GET')).body.runs;
}

const rebuildsOf = (runs: Run[]) => runs.filter((r) => r.trigger.type === 'base-image');

/** Waits until `check` holds, polling; fails with what it last saw. */
async function eventually<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await read();
    if (check(last)) return last;
    if (Date.now() > deadline) assert.fail(`${what}: last seen ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('base-image rebuilds', () => {
  let stack: TestStack;
  let git: GitServer;
  let registry: TestRegistry;
  let quiet: TestRegistry;
  let repoUrl: string;
  const id = randomBytes(3).toString('hex');
  const name = (t: string) => `${t}-${id}`;

  before(async () => {
    // The quiet registry sends no notifications: its bases are found by polling, every second here.
    quiet = await startRegistry();
    git = await GitServer.start({ daemon: false });
    await git.createRepo('images');
    stack = await startTestStack({
      env: {
        SLIPWAY_GIT_ALLOW_INSECURE: '1',
        SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1',
        // The test's registries listen on loopback ports of their own, not on the trusted SLIPWAY_REGISTRY.
        SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS: '1',
        SLIPWAY_REGISTRY_NOTIFY_TOKEN: TOKEN,
        SLIPWAY_POLL_INTERVALS: `${quiet.host}=1`,
        SLIPWAY_REBUILD_CONCURRENCY: '2',
      },
    });
    registry = await startRegistry({ notify: { url: stack.url, token: TOKEN } });
    const R = registry.host;
    await git.commit(
      'images',
      {
        'mid/Dockerfile': `FROM ${R}/base:latest\nCOPY mid.txt /mid.txt\n`,
        'mid/mid.txt': `mid ${id}\n`,
        'app/Dockerfile': `FROM ${R}/mid:latest\nCOPY app.txt /app.txt\n`,
        'app/app.txt': `app ${id}\n`,
        'a/Dockerfile': `FROM ${R}/base:latest\nCOPY a.txt /a.txt\n`,
        'a/a.txt': `a ${id}\n`,
        'b/Dockerfile': `FROM ${R}/base:latest\nCOPY b.txt /b.txt\n`,
        'b/b.txt': `b ${id}\n`,
        // c runs on a and copies from b: b is a build-time base, so c's trigger is `all`.
        'c/Dockerfile': `FROM ${R}/b:latest AS fromb\nFROM ${R}/a:latest\nCOPY --from=fromb /b.txt /b.txt\n`,
        'poll/Dockerfile': `FROM ${quiet.host}/base:latest\nRUN true\n`,
        'fan/Dockerfile': `FROM ${R}/fan-base:latest\nCOPY Dockerfile /fan\n`,
      },
      'images',
    );
    repoUrl = git.httpUrl('images');
  });
  after(async () => {
    await stack?.close();
    await registry?.stop();
    await quiet?.stop();
    await git?.stop();
  });

  async function createTask(task: string, dir: string, image: string, extra: Record<string, unknown> = {}): Promise<void> {
    const res = await send(`${stack.url}/v1/tasks`, 'POST', { name: name(task), context: `${repoUrl}#main:${dir}`, images: [image], commitTrigger: false, ...extra });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }

  async function buildOnce(task: string): Promise<Run> {
    const started = await send(`${stack.url}/v1/tasks/${name(task)}/runs`, 'POST');
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const done = (await waitForRun(stack.url, started.body.id)) as unknown as Run;
    assert.equal(done.status, 'succeeded', `${task}: ${done.error}`);
    return done;
  }

  it('records what each task is built on, and previews the impact of a base change in order', async () => {
    const R = registry.host;
    await pushBase(`${R}/base:latest`, `v1 ${id}`);
    await createTask('mid', 'mid', `${R}/mid:latest`);
    await createTask('app', 'app', `${R}/app:latest`);
    await createTask('a', 'a', `${R}/a:latest`);
    await createTask('b', 'b', `${R}/b:latest`);
    await createTask('c', 'c', `${R}/c:latest`, { baseImageTrigger: 'all' });
    for (const t of ['mid', 'a', 'b', 'app', 'c']) {
      const done = await buildOnce(t);
      assert.ok(done.baseImages?.every((b: any) => b.digest?.startsWith('sha256:')), JSON.stringify(done.baseImages));
    }
    // The graph learns of a run once the API hears it finished, moments after the run record says so.
    const graph = await eventually(
      'all five tasks in the graph',
      async () => (await send(`${stack.url}/v1/graph`, 'GET')).body,
      (g: any) => ['mid', 'a', 'b', 'app', 'c'].every((t) => g.tasks.some((n: any) => n.task === name(t))),
      30_000,
    );
    const dependents = (image: string) => graph.images.find((i: any) => i.image === image)?.dependents.map((d: any) => `${d.task}:${d.kind}`).sort();
    assert.deepEqual(dependents(`${R}/base:latest`), [name('a'), name('b'), name('mid')].map((t) => `${t}:runtime`).sort());
    assert.deepEqual(dependents(`${R}/b:latest`), [`${name('c')}:buildtime`]);

    const preview = await send(`${stack.url}/v1/graph/dependents?image=${encodeURIComponent(`${R}/base:latest`)}&transitive=1`, 'GET');
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    const levels = Object.fromEntries(preview.body.entries.map((e: any) => [e.task, e.level]));
    assert.deepEqual(levels, { [name('a')]: 0, [name('b')]: 0, [name('mid')]: 0, [name('app')]: 1, [name('c')]: 1 });
    assert.deepEqual(preview.body.entries.find((e: any) => e.task === name('c')).parents.sort(), [name('a'), name('b')]);
    // Nothing has changed, so nothing was rebuilt yet.
    for (const t of ['mid', 'app', 'a', 'b', 'c']) assert.deepEqual(rebuildsOf(await taskRuns(stack.url, name(t))), [], t);
  });

  it('a new base rebuilds mid then app, and a, b then c once, each exactly once; app gets the new base layer', async () => {
    const R = registry.host;
    const waves = async () => {
      const text = await (await fetch(`${stack.url}/metrics`)).text();
      const value = (series: string) => Number(text.split('\n').find((l) => l.startsWith(`slipway_rebuild_wave_tasks${series} `))?.split(' ')[1] ?? 0);
      return { count: value('_count'), sum: value('_sum'), upTo2: value('_bucket{le="2"}'), upTo5: value('_bucket{le="5"}') };
    };
    const wavesBefore = await waves();
    const pushedAt = Date.now();
    await pushBase(`${R}/base:latest`, `v2 ${id}`);
    const baseLayers = await layersOf(`${R}/base:latest`);

    const settled = (runs: Run[]) => runs.length === 1 && ['succeeded', 'failed', 'error', 'canceled', 'timeout'].includes(runs[0]!.status);
    const rebuilt: Record<string, Run> = {};
    for (const t of ['mid', 'a', 'b', 'app', 'c']) {
      const runs = await eventually(`${t} rebuilt`, async () => rebuildsOf(await taskRuns(stack.url, name(t))), settled);
      assert.equal(runs[0]!.status, 'succeeded', `${t}: ${runs[0]!.error}`);
      rebuilt[t] = runs[0]!;
    }
    // The rebuilt images' own pushes start nothing more. Only the push of an image something builds on can
    // (mid, a and b): the API logs its decision on each once it is written.
    for (const t of ['mid', 'a', 'b']) {
      const digest = rebuilt[t]!.outputImages[0]?.digest;
      assert.ok(digest, `${t}'s rebuild pushed`);
      const [handled] = await stack.apiLogged(`the API handling the push of rebuilt ${t}`, (e) => e.msg === 'registry push handled' && e.image === `${R}/${t}:latest` && e.digest === digest);
      assert.equal(handled!.wave, undefined, `the push of rebuilt ${t} planned no wave`);
    }
    for (const t of ['mid', 'a', 'b', 'app', 'c']) assert.equal(rebuildsOf(await taskRuns(stack.url, name(t))).length, 1, `${t} rebuilt once`);
    // One wave of five tasks, in the wave size histogram.
    const wavesAfter = await waves();
    assert.deepEqual(
      { count: wavesAfter.count - wavesBefore.count, sum: wavesAfter.sum - wavesBefore.sum, upTo2: wavesAfter.upTo2 - wavesBefore.upTo2, upTo5: wavesAfter.upTo5 - wavesBefore.upTo5 },
      { count: 1, sum: 5, upTo2: 0, upTo5: 1 },
    );

    const t = (run: Run, field: 'startedAt' | 'finishedAt') => Date.parse(run[field]!);
    assert.ok(t(rebuilt.app!, 'startedAt') >= t(rebuilt.mid!, 'finishedAt'), 'app after mid');
    assert.ok(t(rebuilt.c!, 'startedAt') >= t(rebuilt.a!, 'finishedAt') && t(rebuilt.c!, 'startedAt') >= t(rebuilt.b!, 'finishedAt'), 'c after a and b');
    assert.ok(Date.parse(rebuilt.mid!.createdAt) - pushedAt < 60_000);

    const appCause = (rebuilt.app!.trigger as any).causes.map((c: any) => c.image);
    assert.deepEqual(appCause, [`${R}/base:latest`, `${R}/mid:latest`]);
    assert.equal(rebuilt.mid!.trigger.image, `${R}/base:latest`);
    assert.ok(rebuilt.mid!.trigger.oldDigest && rebuilt.mid!.trigger.newDigest && rebuilt.mid!.trigger.oldDigest !== rebuilt.mid!.trigger.newDigest);

    const appLayers = await layersOf(`${R}/app:latest`);
    for (const layer of baseLayers) assert.ok(appLayers.includes(layer), `app contains base layer ${layer}`);
    const wave = await send(`${stack.url}/v1/rebuilds/${(rebuilt.mid!.trigger as any).rebuild}`, 'GET');
    assert.equal(wave.status, 200);
    assert.deepEqual(wave.body.entries.map((e: any) => `${e.task}:${e.state}`).sort(), ['a', 'app', 'b', 'c', 'mid'].map((x) => `${name(x)}:succeeded`).sort());
  });

  it('pushing the same digest again, or notifying it by hand, queues nothing', async () => {
    const R = registry.host;
    const before = await Promise.all(['mid', 'a', 'b'].map(async (t) => (await taskRuns(stack.url, name(t))).length));
    // A push of the same image sends the registry's notification again.
    const image = `${R}/base:latest`;
    const digest = await registryDigest(R, 'base', 'latest');
    const handledPush = (e: Record<string, unknown>) => e.msg === 'registry push handled' && e.image === image && e.digest === digest;
    const handledBefore = (await stack.apiLogged(`the API handling the push of ${image} in the last test`, handledPush)).length;
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-repush-'));
    await run('docker', ['pull', image]);
    await run('docker', ['push', image]);
    await fs.rm(dir, { recursive: true, force: true });
    const notified = await send(`${stack.url}/v1/graph/notify`, 'POST', { image });
    assert.equal(notified.status, 202, JSON.stringify(notified.body));
    assert.equal(notified.body.wave, undefined);
    assert.ok(notified.body.skipped.some((s: any) => /already built/.test(s.reason)), JSON.stringify(notified.body));
    const handled = await stack.apiLogged(`the API handling the registry's notification of the same push again`, handledPush, handledBefore + 1);
    assert.ok(handled.slice(handledBefore).every((e) => e.wave === undefined), 'the push again planned no wave');
    const afterCounts = await Promise.all(['mid', 'a', 'b'].map(async (t) => (await taskRuns(stack.url, name(t))).length));
    assert.deepEqual(afterCounts, before);
  });

  it('finds a new base by polling a registry that sends no notifications', async () => {
    await pushBase(`${quiet.host}/base:latest`, `p1 ${id}`);
    await createTask('poll', 'poll', `${registry.host}/poll:latest`);
    await buildOnce('poll');
    await pushBase(`${quiet.host}/base:latest`, `p2 ${id}`);
    const runs = await eventually('poll rebuilt', async () => rebuildsOf(await taskRuns(stack.url, name('poll'))), (r) => r.length === 1 && r[0]!.status === 'succeeded', 120_000);
    assert.equal(runs[0]!.trigger.image, `${quiet.host}/base:latest`);
  });

  it('refuses bad notifications: no token, wrong token, not an envelope', async () => {
    const url = `${stack.url}/v1/webhooks/registry`;
    const post = (headers: Record<string, string>, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', ...headers }, body });
    assert.equal((await post({}, '{"events":[]}')).status, 401);
    assert.equal((await post({ authorization: 'Bearer wrong' }, '{"events":[]}')).status, 401);
    const bad = await post({ authorization: `Bearer ${TOKEN}` }, '{"events":"nope"}');
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as any).error.message, /envelope/);
    assert.equal((await post({ authorization: `Bearer ${TOKEN}` }, '{not json')).status, 400);
    // Oversized, sent chunked so only reading it can tell.
    const big = Buffer.from(JSON.stringify({ events: [{ action: 'push', pad: 'x'.repeat(2 * 1024 * 1024) }] }));
    const body = new ReadableStream({
      start(c) {
        for (let i = 0; i < big.length; i += 65536) c.enqueue(big.subarray(i, i + 65536));
        c.close();
      },
    });
    const huge = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body, duplex: 'half' } as RequestInit);
    assert.equal(huge.status, 413);
    const pull = await post({ authorization: `Bearer ${TOKEN}` }, JSON.stringify({ events: [{ id: 'e1', action: 'pull', target: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', repository: 'x', tag: 'y', digest: `sha256:${'a'.repeat(64)}` } }] }));
    assert.equal(pull.status, 202);
    assert.deepEqual(((await pull.json()) as any).accepted, []);
  });

  it('graph endpoints answer bad input with a clear 4xx', async () => {
    const cases: [string, string, unknown, number, RegExp][] = [
      ['GET', '/v1/graph/dependents', undefined, 400, /image/],
      ['GET', `/v1/graph/dependents?image=${encodeURIComponent('UPPER/Case::x')}`, undefined, 400, /invalid|reference/i],
      ['GET', `/v1/graph/dependents?image=x&bogus=1`, undefined, 400, /bogus|unrecognized/i],
      ['POST', '/v1/graph/notify', { image: `busybox@sha256:${'a'.repeat(64)}` }, 400, /digest/],
      ['POST', '/v1/graph/notify', { image: 'x', extra: 1 }, 400, /extra|unrecognized/i],
      ['GET', '/v1/rebuilds/nope', undefined, 404, /no rebuild wave/],
    ];
    for (const [method, p, body, status, message] of cases) {
      const res = await send(`${stack.url}${p}`, method, body);
      assert.equal(res.status, status, `${method} ${p}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.message, message, `${method} ${p}`);
    }
  });

  it('50 tasks on one base rebuild at the base-image priority, behind a manual run, under the cap', async () => {
    const R = registry.host;
    const base = `${R}/fan-base:latest`;
    const old = await pushBase(base, `f1 ${id}`);
    // The graph is seeded as 50 first builds would have recorded it (50 real builds would take minutes here).
    const redis = createRedis('redis://127.0.0.1:6379', 'test-graph-seed');
    const graph = new GraphStore(redis, stack.prefix);
    const fans = Array.from({ length: 50 }, (_, i) => name(`fan${i}`));
    try {
      for (const task of fans) {
        const res = await send(`${stack.url}/v1/tasks`, 'POST', { name: task, context: `${repoUrl}#main:fan`, noPush: true, commitTrigger: false });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        await graph.record({ task, platforms: ['linux/amd64'], bases: [{ image: base, kind: 'runtime', uses: [{ platform: 'linux/amd64', basePlatform: 'linux/amd64', digest: old }] }], outputs: [], runId: 'r0000000', updatedAt: new Date().toISOString() });
      }
    } finally {
      redis.disconnect();
    }
    await pushBase(base, `f2 ${id}`);
    const wave = await eventually(
      'a wave of 50 with 2 rebuilds dispatched',
      async () => {
        const latest = (await send(`${stack.url}/v1/rebuilds?top=5`, 'GET')).body.rebuilds.find((w: any) => w.image === base);
        return latest ? (await send(`${stack.url}/v1/rebuilds/${latest.id}`, 'GET')).body : undefined;
      },
      (w: any) => w?.entries.filter((e: any) => e.state === 'dispatched').length === 2,
      60_000,
    );
    assert.equal(wave.total, 50);
    assert.equal(wave.entries.filter((e: any) => e.state === 'ready').length, 48, 'the rest wait for a slot');

    const queuedRebuilds = [];
    for (const e of wave.entries.filter((x: any) => x.runId)) if ((await (await apiFetch(`${stack.url}/v1/runs/${e.runId}`)).json() as Run).status === 'queued') queuedRebuilds.push(e.runId as string);
    assert.ok(queuedRebuilds.length >= 1, 'a rebuild is still queued when the manual run is submitted');
    const manual = await submit(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\nCOPY n /n\n`, { n: id }), { images: [], noPush: true });
    assert.equal(manual.status, 202, JSON.stringify(manual.body));
    const manualDone = (await waitForRun(stack.url, manual.body.id)) as unknown as Run;
    assert.equal(manualDone.status, 'succeeded', manualDone.error);
    for (const runId of queuedRebuilds) {
      const rebuild = (await waitForRun(stack.url, runId)) as unknown as Run;
      assert.ok(Date.parse(rebuild.startedAt!) >= Date.parse(manualDone.startedAt!), `rebuild ${runId} started after the manual run`);
    }
    // Never more than the cap at once: at most 2 entries dispatched and unsettled at any read.
    const now = (await send(`${stack.url}/v1/rebuilds/${wave.id}`, 'GET')).body;
    assert.ok(now.entries.filter((e: any) => e.state === 'dispatched').length <= 2);
    for (const task of fans) await send(`${stack.url}/v1/tasks/${task}`, 'DELETE');
  });
});
