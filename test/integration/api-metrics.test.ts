// What an operator's Prometheus and load balancer see: GET /metrics moves as a build is queued, runs and ends,
// with low-cardinality labels only, and GET /v1/ready says whether a worker serves the promised platforms.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { contextArchive } from '../support/archives.js';
import { apiFetch, submit, waitForRun } from '../support/api.js';
import { BASE_IMAGE, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

/** One sample's value from the Prometheus text format, 0 when the series is not there yet. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.slice(0, l.indexOf('}')).includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('metrics and readiness', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    await stack?.close();
  });
  const scrape = async () => {
    const res = await fetch(`${stack.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    return res.text();
  };

  it('is ready while a worker serves linux/amd64, and says what is missing when none does', async () => {
    const ready = await apiFetch(`${stack.url}/v1/ready`);
    assert.deepEqual([ready.status, await ready.json()], [200, { status: 'ready', redis: true, unserved: [] }]);
    assert.equal(sample(await scrape(), 'slipway_workers', { platform: 'linux/amd64' }), 1);
    await stack.stopWorker();
    try {
      // A stopped worker leaves the registry as it shuts down.
      const notReady = await apiFetch(`${stack.url}/v1/ready`);
      assert.deepEqual([notReady.status, await notReady.json()], [503, { status: 'not_ready', redis: true, unserved: ['linux/amd64'] }]);
    } finally {
      await stack.startWorker();
    }
  });

  it('counts a build as it is queued and when it ends, with its duration and wait, and the requests', async () => {
    const labels = { trigger: 'manual', platform: 'linux/amd64' };
    const finished = { status: 'succeeded', ...labels };
    const before = await scrape();
    const archive = await contextArchive(`FROM ${BASE_IMAGE}\nRUN echo ${uniqueName('metrics')}\n`);
    const started = await submit(stack.url, archive, { noPush: true });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const queued = await scrape();
    assert.equal(sample(queued, 'slipway_runs_queued_total', labels), sample(before, 'slipway_runs_queued_total', labels) + 1);
    const contextBytes = (text: string) => Number(/^slipway_context_store_bytes (\d+)$/m.exec(text)?.[1]);
    assert.equal(contextBytes(queued), contextBytes(before) + archive.length, 'the upload is held by the context store');
    const run = await waitForRun(stack.url, started.body.id);
    assert.equal(run.status, 'succeeded', run.error);

    // The finish is read from the finished-run stream after the run ends; give it a few seconds.
    let after = await scrape();
    for (let i = 0; i < 50 && sample(after, 'slipway_runs_finished_total', finished) === sample(before, 'slipway_runs_finished_total', finished); i++) {
      await delay(100);
      after = await scrape();
    }
    assert.equal(sample(after, 'slipway_runs_finished_total', finished), sample(before, 'slipway_runs_finished_total', finished) + 1);
    const count = (text: string, name: string, l: Record<string, string>) => sample(text, `${name}_count`, l);
    assert.equal(count(after, 'slipway_run_duration_seconds', { status: 'succeeded', platform: 'linux/amd64' }), count(before, 'slipway_run_duration_seconds', { status: 'succeeded', platform: 'linux/amd64' }) + 1);
    assert.equal(count(after, 'slipway_run_queue_wait_seconds', { platform: 'linux/amd64' }), count(before, 'slipway_run_queue_wait_seconds', { platform: 'linux/amd64' }) + 1);
    assert.ok(count(after, 'slipway_http_request_duration_seconds', { method: 'POST', route: '/v1/runs', status: '202' }) >= 1);
    assert.ok(count(after, 'slipway_http_request_duration_seconds', { method: 'GET', route: '/v1/runs/:id', status: '200' }) >= 1, 'the route pattern, not the run id');
    assert.equal(sample(after, 'slipway_queue_waiting_jobs', { platform: 'linux/amd64' }), 0);
    assert.ok(!after.includes(started.body.id), 'no run id in any label');
  });
});
