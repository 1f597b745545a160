// `slipway workers` against a real API and worker: the pool as a user sees it, the worker named as runs record
// it, live, with its platform; and a worker that stopped beating without leaving (killed) shown as lost.
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { renderWorkers } from '../../src/cli/commands/workers.js';
import { runSlipway } from '../support/cli.js';
import { ROOT, startTestStack, type TestStack } from '../support/stack.js';

describe('slipway workers', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    await stack?.close();
  });

  it('lists the live worker by the name runs record, with its platform, as a table and as JSON', async () => {
    const name = `${os.hostname()}/${stack.workerPid()}`;
    const table = await runSlipway(['workers'], { cwd: ROOT, env: stack.env });
    assert.equal(table.code, 0, table.stderr);
    const line = table.stdout.split('\n').find((l) => l.startsWith(name));
    assert.ok(line, `no row for ${name} in:\n${table.stdout}`);
    assert.match(line, /\blive\b.*\blinux\/amd64\b/);

    const json = await runSlipway(['workers', '--json'], { cwd: ROOT, env: stack.env });
    assert.equal(json.code, 0, json.stderr);
    const worker = (JSON.parse(json.stdout) as { name: string; live: boolean; platforms: string[] }[]).find((w) => w.name === name);
    assert.equal(worker?.live, true);
    assert.ok(worker.platforms.includes('linux/amd64'), worker.platforms.join(','));
  });

  it('shows a worker whose heartbeats stopped as lost, with what it was building', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const text = renderWorkers(
      [{ name: 'build-2/41', host: 'build-2', platforms: ['linux/arm64'], lastHeartbeat: '2026-01-01T00:05:00Z', live: false, runs: [{ id: 'r42', task: 'app', platform: 'linux/arm64' }] }],
      now,
    );
    assert.match(text, /build-2\/41\s+lost\s+linux\/arm64\s+r42 \(app\)\s+5 minutes ago/);
  });
});
