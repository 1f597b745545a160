// What an operator's Prometheus sees of the workers: a worker's own GET /metrics shows a build as active while
// it runs and counts it with its duration when it ends, with the log bytes and registry requests its sandboxed
// build child made; the API shows how long the oldest job has waited for a worker, per platform.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiFetch, submit, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { BASE_IMAGE, freePort, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

/** One sample's value from the Prometheus text format, 0 when the series is not there yet. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.slice(0, Math.max(0, l.indexOf('}'))).includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** The sum of a family's samples whose labels include `labels`. */
function total(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.slice(0, l.indexOf('}')).includes(w)))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('worker metrics', () => {
  let stack: TestStack;
  let workerMetrics: string;
  before(async () => {
    const port = await freePort();
    workerMetrics = `http://127.0.0.1:${port}/metrics`;
    stack = await startTestStack({ env: { SLIPWAY_WORKER_METRICS_PORT: String(port) } });
  });
  after(async () => {
    await stack?.close();
  });
  const scrape = async (url: string) => {
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    return res.text();
  };

  it('shows a build as active while it runs, then counts it with its duration', async () => {
    const platform = { platform: 'linux/amd64' };
    const done = { ...platform, status: 'succeeded' };
    const before = await scrape(workerMetrics);
    assert.equal(sample(before, 'slipway_worker_platforms', platform), 1);
    assert.equal(sample(before, 'slipway_worker_jobs_active', platform), 0);
    assert.ok(sample(before, 'slipway_worker_process_resident_memory_bytes') > 0, 'process metrics');

    const started = await submit(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\nRUN echo ${uniqueName('wm')} && sleep 3\n`), { noPush: true });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await waitForRun(stack.url, started.body.id, (r) => r.status === 'running' || r.status === 'succeeded');
    const during = await scrape(workerMetrics);
    const run = await waitForRun(stack.url, started.body.id);
    assert.equal(run.status, 'succeeded', run.error);
    // The job is active from before the run is marked running until after it ends; the build sleeps past the scrape.
    assert.equal(sample(during, 'slipway_worker_jobs_active', platform), 1);
    assert.equal(sample(during, 'slipway_worker_jobs_finished_total', done), sample(before, 'slipway_worker_jobs_finished_total', done));

    // BullMQ's completed event follows the run's end by moments: read until it is counted.
    let afterText = await scrape(workerMetrics);
    for (let i = 0; i < 100 && sample(afterText, 'slipway_worker_jobs_finished_total', done) === sample(before, 'slipway_worker_jobs_finished_total', done); i++) {
      await new Promise((r) => setTimeout(r, 50));
      afterText = await scrape(workerMetrics);
    }
    assert.equal(sample(afterText, 'slipway_worker_jobs_finished_total', done), sample(before, 'slipway_worker_jobs_finished_total', done) + 1);
    assert.equal(sample(afterText, 'slipway_worker_job_duration_seconds_count', done), sample(before, 'slipway_worker_job_duration_seconds_count', done) + 1);
    assert.ok(sample(afterText, 'slipway_worker_job_duration_seconds_sum', done) >= 3, 'the build slept 3 s');
    assert.equal(sample(afterText, 'slipway_worker_jobs_active', platform), 0);
    // Counted in the build's child process, and in before the worker heard the job end.
    assert.ok(sample(afterText, 'slipway_worker_log_bytes_total', platform) > sample(before, 'slipway_worker_log_bytes_total', platform), 'log bytes counted');
    const registry = { host: '127.0.0.1:5000' };
    const requests = total(afterText, 'slipway_registry_request_duration_seconds_count', registry);
    assert.ok(requests > total(before, 'slipway_registry_request_duration_seconds_count', registry), 'the base image was looked up in the registry');
    assert.equal(total(afterText, 'slipway_registry_request_duration_seconds_bucket', { ...registry, le: '+Inf' }), requests);
    assert.ok(!/run_id|runId|ca\d+"/.test(afterText), 'no run ids in labels');
  });

  it("shows on the API how long the oldest job has waited for a worker", async () => {
    await stack.stopWorker();
    try {
      const started = await submit(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\nRUN echo ${uniqueName('wait')}\n`), { noPush: true });
      assert.equal(started.status, 202);
      const text = await scrape(`${stack.url}/metrics`);
      // No base-image change in this stack: the rebuild families are there, at rest.
      for (const family of ['slipway_rebuild_waves_created', 'slipway_rebuild_last_wave_size', 'slipway_rebuild_entries_ready', 'slipway_rebuild_runs_active']) {
        assert.match(text, new RegExp(`^${family} 0$`, 'm'), family);
      }
      assert.ok(sample(text, 'slipway_queue_oldest_waiting_seconds', { platform: 'linux/amd64' }) > 0, text.split('\n').filter((l) => l.includes('oldest')).join('\n'));
      assert.equal((await apiFetch(`${stack.url}/v1/runs/${started.body.id}/cancel`, { method: 'POST' })).status, 202);
      const after = await scrape(`${stack.url}/metrics`);
      assert.equal(sample(after, 'slipway_queue_oldest_waiting_seconds', { platform: 'linux/amd64' }), 0);
    } finally {
      await stack.startWorker();
    }
  });
});
