// Runs through the API against the real stack: build and push, failures, cancel, timeout, logs, restarts.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiFetch, getRun, postJson, registryDigest, runLog, submit, uploadContext, waitForLogLine, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { BASE_IMAGE, REGISTRY, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

describe('runs on a real stack', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    await stack?.close();
  });

  it('builds, pushes every tag and records the digest the registry serves', async () => {
    const repo = `slipway-test/${uniqueName('push')}`;
    // A context of its own, so BuildKit's cache cannot hide the RUN output.
    const nonce = uniqueName('nonce');
    const archive = await contextArchive(`FROM ${BASE_IMAGE}\nARG GREETING\nCOPY hello.txt /hello.txt\nRUN echo "$GREETING from $(cat /hello.txt)"\n`, { 'hello.txt': `the context ${nonce}` });
    const res = await submit(stack.url, archive, { images: [`${repo}:v1`, `${repo}:latest`], buildArgs: { GREETING: 'hi' } });
    assert.equal(res.status, 202);
    assert.match(res.body.id, /^r[0-9a-z]{7}$/);
    const run = await waitForRun(stack.url, res.body.id);
    assert.equal(run.status, 'succeeded', run.error);
    assert.deepEqual(run.outputImages.map((i) => `${i.registry}/${i.repository}:${i.tag}`), [`${REGISTRY}/${repo}:v1`, `${REGISTRY}/${repo}:latest`]);
    for (const image of run.outputImages) assert.equal(await registryDigest(REGISTRY, image.repository, image.tag), image.digest);
    const log = await runLog(stack.url, run.id);
    assert.ok(log.includes(`hi from the context ${nonce}`), log);
    assert.match(log, /RUN echo/);
    assert.ok(run.startedAt && run.finishedAt && run.worker);
  });

  it('fails a run whose RUN step fails, with the step output in the log and in the message', async () => {
    const archive = await contextArchive(`FROM ${BASE_IMAGE}\nRUN echo before-the-failure && exit 3\n`);
    const res = await submit(stack.url, archive, { images: [`slipway-test/${uniqueName('fail')}:v1`] });
    const run = await waitForRun(stack.url, res.body.id);
    assert.equal(run.status, 'failed');
    assert.match(run.error ?? '', /before-the-failure/);
    assert.match(run.error ?? '', /exit code: 3/);
    assert.match(await runLog(stack.url, run.id), /before-the-failure/);
    assert.deepEqual(run.outputImages, []);
  });

  it('fails a run whose Dockerfile is not in the context, and leaves no workspace behind', async () => {
    const archive = await contextArchive(`FROM ${BASE_IMAGE}\n`);
    const res = await submit(stack.url, archive, { dockerfile: 'nope/Dockerfile', noPush: true });
    const run = await waitForRun(stack.url, res.body.id);
    assert.equal(run.status, 'failed');
    assert.match(run.error ?? '', /Dockerfile "nope\/Dockerfile" not found/);
    assert.deepEqual(await fs.readdir(path.join(stack.dataDir, 'workspaces')), []);
  });

  it('keeps secret build args out of the log and the run record', async () => {
    const secret = 'hunter2-' + uniqueName('s');
    const archive = await contextArchive(`FROM ${BASE_IMAGE}\nARG TOKEN\nRUN echo "token is $TOKEN"\n`);
    const res = await submit(stack.url, archive, { noPush: true, secretBuildArgs: { TOKEN: secret } });
    const run = await waitForRun(stack.url, res.body.id);
    assert.equal(run.status, 'succeeded', run.error);
    const log = await runLog(stack.url, run.id);
    assert.match(log, /token is \*\*\*/);
    assert.ok(!log.includes(secret), 'secret in log');
    assert.ok(!JSON.stringify(await getRun(stack.url, run.id)).includes(secret), 'secret in run record');
    assert.deepEqual((run.request as { secretBuildArgKeys: string[] }).secretBuildArgKeys, ['TOKEN']);
  });

  it('cancels a running build for real', async () => {
    // A sleep length of its own, so no other build's step is mistaken for this one.
    const sleep = `sleep ${200 + Math.floor(Math.random() * 700)}`;
    const archive = await contextArchive(`FROM ${BASE_IMAGE}\nRUN echo started-sleeping && ${sleep}\n`);
    const res = await submit(stack.url, archive, { noPush: true });
    await waitForRun(stack.url, res.body.id, (r) => r.status === 'running');
    // Wait until the RUN step is really executing before canceling it.
    await waitForLogLine(stack.url, res.body.id, /#\d+ [\d.]+ started-sleeping/, 30_000);
    assert.ok(await processRuns(sleep), 'the RUN step should be running before the cancel');
    const started = Date.now();
    const cancel = await postJson(`${stack.url}/v1/runs/${res.body.id}/cancel`, {});
    assert.equal(cancel.status, 202);
    const run = await waitForRun(stack.url, res.body.id, undefined, 30_000);
    assert.equal(run.status, 'canceled');
    assert.ok(Date.now() - started < 20_000, 'cancel took too long');
    // BuildKit runs the step with runc, outside `docker ps`: the step's own process must be gone.
    assert.ok(await processGone(sleep), 'the RUN step is still running after cancel');
    const again = await postJson(`${stack.url}/v1/runs/${res.body.id}/cancel`, {});
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'run_finished');
  });

  it('ends a run that runs past its timeout with status timeout', async () => {
    const sleep = `sleep ${200 + Math.floor(Math.random() * 700)}`;
    const archive = await contextArchive(`FROM ${BASE_IMAGE}\nRUN ${sleep}\n`);
    const res = await submit(stack.url, archive, { noPush: true, timeoutSeconds: 3 });
    const run = await waitForRun(stack.url, res.body.id, undefined, 60_000);
    assert.equal(run.status, 'timeout');
    assert.match(run.error ?? '', /timed out after 3 s/);
    assert.ok(await processGone(sleep), 'the RUN step is still running after the timeout');
  });

  it('streams the log live as Server-Sent Events, resumable with Last-Event-ID, ending with the final run', async () => {
    const archive = await contextArchive(`FROM ${BASE_IMAGE}\nCOPY nonce /nonce\nRUN for i in 1 2 3; do echo line-$i; sleep 0.3; done\n`, { nonce: uniqueName('nonce') });
    const res = await submit(stack.url, archive, { noPush: true });
    const first = await readSse(`${stack.url}/v1/runs/${res.body.id}/logs?follow=1`);
    assert.equal(first.end?.status, 'succeeded');
    assert.ok(first.lines.some((l) => l.includes('line-3')));
    // Resuming after the third event gives exactly the rest.
    const resumed = await readSse(`${stack.url}/v1/runs/${res.body.id}/logs?follow=1`, first.ids[2]);
    assert.deepEqual(resumed.lines, first.lines.slice(3));
    assert.equal(resumed.end?.status, 'succeeded');
  });

  it('lists runs newest first and filters by status', async () => {
    const list = await (await apiFetch(`${stack.url}/v1/runs?top=3`)).json();
    assert.equal(list.runs.length, 3);
    assert.ok(list.runs[0].id > list.runs[1].id);
    const failed = await (await apiFetch(`${stack.url}/v1/runs?status=failed`)).json();
    assert.ok(failed.runs.length >= 1);
    assert.ok(failed.runs.every((r: { status: string }) => r.status === 'failed'));
    const bad = await apiFetch(`${stack.url}/v1/runs?status=bogus`);
    assert.equal(bad.status, 400);
  });

  it('loses nothing when the API restarts while a run is queued', async () => {
    await stack.stopWorker();
    const repo = `slipway-test/${uniqueName('restart')}`;
    const res = await submit(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\nRUN echo survived\n`), { images: [`${repo}:v1`] });
    assert.equal(res.status, 202);
    await stack.stopApi();
    await stack.startApi();
    assert.equal((await getRun(stack.url, res.body.id)).status, 'queued');
    await stack.startWorker();
    const run = await waitForRun(stack.url, res.body.id);
    assert.equal(run.status, 'succeeded', run.error);
    assert.equal(await registryDigest(REGISTRY, repo, 'v1'), run.outputImages[0]?.digest);
  });

  it('cancels a queued run at once', async () => {
    await stack.stopWorker();
    const res = await submit(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\n`), { noPush: true });
    const cancel = await postJson(`${stack.url}/v1/runs/${res.body.id}/cancel`, {});
    assert.equal(cancel.status, 202);
    assert.equal(cancel.body.status, 'canceled');
    await stack.startWorker();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await getRun(stack.url, res.body.id)).status, 'canceled');
  });

  it('uploads a context once: HEAD finds it and a second upload is not stored twice', async () => {
    const archive = await contextArchive('FROM scratch\n', { unique: uniqueName('ctx') });
    const first = await uploadContext(stack.url, archive);
    assert.equal(first.status, 201);
    assert.equal((await apiFetch(`${stack.url}/v1/contexts/${first.body.digest}`, { method: 'HEAD' })).status, 200);
    const second = await uploadContext(stack.url, archive);
    assert.equal(second.status, 200);
    assert.equal(second.body.digest, first.body.digest);
    assert.equal((await apiFetch(`${stack.url}/v1/contexts/sha256:${'0'.repeat(64)}`, { method: 'HEAD' })).status, 404);
  });
});

async function readSse(url: string, lastEventId?: string): Promise<{ lines: string[]; ids: string[]; end?: { status: string } }> {
  const res = await apiFetch(url, { headers: lastEventId ? { 'last-event-id': lastEventId } : {} });
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const text = await res.text();
  const lines: string[] = [];
  const ids: string[] = [];
  let end: { status: string } | undefined;
  for (const block of text.split('\n\n')) {
    const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':') && l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
    if (fields.event === 'log') {
      lines.push(fields.data ?? '');
      ids.push(fields.id ?? '');
    } else if (fields.event === 'end') end = JSON.parse(fields.data ?? '{}');
  }
  return { lines, ids, end };
}

/** Whether a process on this machine has this text in its command line (busybox runs `sleep` inside the shell). */
async function processRuns(cmdline: string): Promise<boolean> {
  const pids = (await fs.readdir('/proc')).filter((p) => /^\d+$/.test(p));
  const lines = await Promise.all(pids.map((p) => fs.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')));
  return lines.some((l) => l.replaceAll('\0', ' ').includes(cmdline));
}

/** True once no process has this command line (within 10 s). */
async function processGone(cmdline: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!(await processRuns(cmdline))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
