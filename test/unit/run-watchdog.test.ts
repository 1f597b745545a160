// The watchdog's decision: which running runs lost their worker. A run is lost once neither its lease nor
// its worker's heartbeat was renewed within the stale limit; a multi-platform run between jobs is not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Run, RunStatus } from '../../src/runs/model.js';
import { RunWatchdog } from '../../src/runs/watchdog.js';
import { MemoryRuns } from '../support/memory-runs.js';

const STALE = 15_000;
const NOW = Date.parse('2026-12-05T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function watchdog(runs: MemoryRuns, leases: Record<string, number>, seen: Record<string, number> = {}) {
  const store = { list: async ({ status }: { status?: RunStatus }) => [...runs.runs.values()].filter((r) => r.status === status) };
  const workers = {
    leases: async (ids: readonly string[]) => ids.map((id) => leases[id]),
    dropLeases: async () => undefined,
    lastSeen: async (worker: string) => seen[worker],
  };
  return new RunWatchdog({ store, finish: (...args: Parameters<MemoryRuns['finish']>) => runs.finish(...args) }, workers, STALE);
}

describe('RunWatchdog', () => {
  const running = (runs: MemoryRuns, id: string, extra: Partial<Run> = {}) => runs.add(id, 'running', { worker: 'vm/4242', startedAt: ago(60_000), ...extra });

  it('ends a run whose lease and worker went silent, naming the worker, in its log too', async () => {
    const runs = new MemoryRuns();
    running(runs, 'r0000001');
    assert.deepEqual(await watchdog(runs, { r0000001: NOW - 20_000 }).sweep(NOW), ['r0000001']);
    const run = runs.runs.get('r0000001')!;
    assert.equal(run.status, 'error');
    assert.equal(run.error, 'the worker vm/4242 running this run stopped responding (no heartbeat for 20 s); the run was lost: submit it again');
    assert.ok(runs.log('r0000001').some((l) => l.startsWith('slipway: run error: the worker vm/4242')));
  });

  it('leaves runs with a fresh lease, a worker still beating, or too young to have renewed one', async () => {
    const runs = new MemoryRuns();
    running(runs, 'r0000001');
    running(runs, 'r0000002', { worker: 'vm/7' });
    running(runs, 'r0000003', { startedAt: ago(5_000) });
    runs.add('r0000004', 'queued');
    const ended = await watchdog(runs, { r0000001: NOW - 4_000 }, { 'vm/7': NOW - 3_000 }).sweep(NOW);
    assert.deepEqual(ended, []);
  });

  it('leaves a multi-platform run between its jobs, but not one whose building platform went silent', async () => {
    const runs = new MemoryRuns();
    const platforms = ['linux/amd64', 'linux/arm64'];
    running(runs, 'r0000001', { platforms, platformResults: [{ platform: 'linux/amd64', status: 'succeeded' }] });
    running(runs, 'r0000002', { platforms, platformResults: [{ platform: 'linux/amd64', status: 'running' }] });
    assert.deepEqual(await watchdog(runs, {}).sweep(NOW), ['r0000002']);
  });
});
