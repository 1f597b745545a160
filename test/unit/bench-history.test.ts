// Bench results: each run rewrites its bench's summary and appends one history line, so bench/results
// holds one summary per bench and one history file, never a file per run.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { HISTORY_FILE, historyLine, recordRun } from '../../bench/lib/history.js';
import type { MachineInfo } from '../../bench/lib/machine.js';

const machine: MachineInfo = { hostname: 'h', cpus: 2, cpuModel: 'CPU', memoryGiB: 4, node: 'v20', dockerEngine: '20.10', commit: 'abc1234', dirty: false, loadAverage: [1, 2, 3] };

describe('bench history', () => {
  it('rewrites the summary and appends one line per run', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-bench-history-'));
    try {
      await recordRun(historyLine('git-fetch', { id: 'r1', startedAt: '2026-01-01T00:00:00Z' }, machine, { ratio: 0.2 }), '# first\n', dir);
      await recordRun(historyLine('git-fetch', { id: 'r2', startedAt: '2026-01-02T00:00:00Z' }, { ...machine, dirty: true }, { ratio: 0.3 }), '# second', dir);
      assert.deepEqual((await fs.readdir(dir)).sort(), ['git-fetch.md', 'history.jsonl']);
      assert.equal(await fs.readFile(path.join(dir, 'git-fetch.md'), 'utf8'), '# second\n');
      const lines = (await fs.readFile(path.join(dir, 'history.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(
        lines.map((l) => [l.run, l.commit, l.dirty, l.figures.ratio]),
        [
          ['r1', 'abc1234', undefined, 0.2],
          ['r2', 'abc1234', true, 0.3],
        ],
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('the tracked history is one JSON object per line, each with its date, bench, run and figures', async () => {
    const lines = (await fs.readFile(HISTORY_FILE, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { date: string; bench: string; run: string; figures: object });
    assert.ok(lines.length > 0);
    for (const l of lines) assert.ok(!Number.isNaN(Date.parse(l.date)) && l.bench && l.run && typeof l.figures === 'object', JSON.stringify(l).slice(0, 200));
  });
});
