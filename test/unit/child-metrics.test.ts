// The path from a sandboxed build child to its worker's /metrics: what a child reports arrives, is counted
// once flush() resolves, and a child without a worker to tell neither fails nor waits for long. The worker's
// socket takes nothing that would give its metrics unbounded labels.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/log.js';
import { statusClass } from '../../src/metrics/registry-metrics.js';
import { WorkerMetrics } from '../../src/metrics/worker-metrics.js';
import { ChildMetricsListener } from '../../workers/child-metrics/listener.js';
import { childMetrics, countingLogBytes } from '../../workers/child-metrics/reporter.js';
import type { RunProgress } from '../../src/runs/progress.js';

/** One sample's value, 0 when absent. */
async function value(metrics: WorkerMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const found = values.find((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want));
  return found?.value ?? 0;
}

describe('child metrics path', () => {
  let metrics: WorkerMetrics;
  let listener: ChildMetricsListener;
  before(async () => {
    metrics = new WorkerMetrics(['linux/amd64', 'index']);
    listener = await ChildMetricsListener.start(metrics, createLogger('test', 'silent'));
  });
  after(async () => {
    await listener.close();
  });

  it("counts a child's log bytes and registry requests once its flush resolves", async () => {
    const child = childMetrics(listener.socketPath);
    const appended: string[] = [];
    const runs = countingLogBytes({ appendLog: async (_id: string, lines: readonly string[]) => void appended.push(...lines) } as unknown as RunProgress, child, 'linux/amd64');
    await runs.appendLog('r1', ['héllo', 'world']);
    child.registryRequest({ registry: '127.0.0.1:5000', operation: 'getManifest', status: 200, seconds: 0.02 });
    child.registryRequest({ registry: '127.0.0.1:5000', operation: 'getManifest', status: undefined, seconds: 1.5 });
    await child.flush();
    assert.deepEqual(appended, ['héllo', 'world'], 'the lines still reach the log');
    // UTF-8 bytes and a newline each: 6 + 1 + 5 + 1.
    assert.equal(await value(metrics, 'slipway_worker_log_bytes_total', { platform: 'linux/amd64' }), 13);
    const host = { host: '127.0.0.1:5000', operation: 'getManifest' };
    assert.equal(await value(metrics, 'slipway_registry_request_duration_seconds', { ...host, code: '2xx', le: '+Inf' }), 1);
    assert.equal(await value(metrics, 'slipway_registry_request_duration_seconds', { ...host, code: 'none', le: '+Inf' }), 1);
    assert.equal(await value(metrics, 'slipway_registry_request_duration_seconds', { ...host, code: 'none', le: '1' }), 0);
  });

  it('drops what would grow the labels: an unknown platform, a path for a host, a malformed line', async () => {
    const before = await value(metrics, 'slipway_worker_log_bytes_total', { platform: 'linux/amd64' });
    const socket = net.createConnection(listener.socketPath);
    const acks: string[] = [];
    socket.setEncoding('utf8').on('data', (d: string) => acks.push(d));
    socket.write('not json\n');
    socket.write(`${JSON.stringify({ logBytes: { 'linux/amd64': 1 }, registry: [{ host: 'evil/run-123', operation: 'getManifest', seconds: 1 }] })}\n`);
    socket.write(`${JSON.stringify({ logBytes: { 'made/up': 5, 'linux/amd64': 2 }, registry: [], flush: 7 })}\n`);
    await new Promise<void>((resolve) => socket.on('data', () => acks.join('').includes('\n') && resolve()));
    socket.destroy();
    assert.deepEqual(JSON.parse(acks.join('')), { ack: 7 });
    // The report with a bad host is dropped whole; of the last, only the platform the worker serves counts.
    assert.equal(await value(metrics, 'slipway_worker_log_bytes_total', { platform: 'linux/amd64' }), before + 2);
    assert.equal(await value(metrics, 'slipway_worker_log_bytes_total', { platform: 'made/up' }), 0);
    assert.equal(await value(metrics, 'slipway_registry_request_duration_seconds', { host: 'evil/run-123', le: '+Inf' }), 0);
  });

  it('closes a connection that sends a line past the limit instead of holding it in memory', async () => {
    const socket = net.createConnection(listener.socketPath);
    // Closed, or (were the limit not kept) the flush after the long line answered.
    const outcome = new Promise<string>((resolve) => {
      socket.once('close', () => resolve('closed'));
      socket.once('data', () => resolve('answered'));
    });
    socket.on('error', () => undefined);
    socket.write('x'.repeat(3 * 1024 * 1024));
    socket.write(`\n${JSON.stringify({ logBytes: {}, registry: [], flush: 1 })}\n`);
    assert.equal(await outcome, 'closed');
    socket.destroy();
  });

  it('lets a child without a listening worker go on at once', async () => {
    const child = childMetrics('/nonexistent/slipway-metrics.sock');
    child.logBytes('linux/amd64', 10);
    await child.flush();
    const none = childMetrics(undefined);
    none.logBytes('linux/amd64', 10);
    await none.flush();
  });

  it("leaves a listening worker's socket alone when another worker starts beside it", async () => {
    const other = await ChildMetricsListener.start(new WorkerMetrics(['linux/amd64']), createLogger('test', 'silent'));
    try {
      assert.notEqual(other.socketPath, listener.socketPath);
      const before = await value(metrics, 'slipway_worker_log_bytes_total', { platform: 'linux/amd64' });
      const child = childMetrics(listener.socketPath);
      child.logBytes('linux/amd64', 3);
      await child.flush();
      assert.equal(await value(metrics, 'slipway_worker_log_bytes_total', { platform: 'linux/amd64' }), before + 3);
    } finally {
      await other.close();
    }
  });
});

describe('registry status classes', () => {
  const cases: [number | undefined, string][] = [
    [200, '2xx'],
    [201, '2xx'],
    [307, '3xx'],
    [401, '4xx'],
    [429, '4xx'],
    [503, '5xx'],
    [undefined, 'none'],
    [0, 'none'],
    [999, 'none'],
  ];
  for (const [status, want] of cases) it(`${status} is ${want}`, () => assert.equal(statusClass(status), want));
});
