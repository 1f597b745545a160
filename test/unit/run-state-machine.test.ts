// The run state machine without Redis: which status a run may move to from which, and that an ended run
// never changes again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canTransition, checkTransition, sourcesOf } from '../../src/runs/lifecycle.js';
import { RUN_STATUSES, TERMINAL_STATUSES, type RunStatus } from '../../src/runs/status.js';

describe('run lifecycle', () => {
  const cases: [RunStatus, RunStatus, boolean][] = [
    ['queued', 'running', true],
    ['queued', 'canceled', true],
    ['queued', 'error', true],
    ['queued', 'failed', true],
    ['queued', 'timeout', true],
    ['queued', 'succeeded', false],
    ['queued', 'queued', true],
    ['running', 'succeeded', true],
    ['running', 'failed', true],
    ['running', 'canceled', true],
    ['running', 'timeout', true],
    ['running', 'error', true],
    ['running', 'running', true],
    ['running', 'queued', false],
    ['succeeded', 'failed', false],
    ['failed', 'running', false],
    ['canceled', 'queued', false],
    ['timeout', 'timeout', false],
    ['error', 'succeeded', false],
  ];
  for (const [from, to, allowed] of cases) {
    it(`${from} → ${to} is ${allowed ? 'allowed' : 'refused'}`, () => assert.equal(canTransition(from, to), allowed));
  }

  it('an ended run never changes again, not even its other fields', () => {
    for (const from of TERMINAL_STATUSES) for (const to of RUN_STATUSES) assert.equal(canTransition(from, to), false, `${from} → ${to}`);
  });

  it('every status but queued is reachable, and only from queued or running', () => {
    for (const to of RUN_STATUSES) {
      const from = sourcesOf(to);
      if (to === 'queued') assert.deepEqual(from, ['queued']);
      else assert.ok(from.length > 0 && from.every((s) => s === 'queued' || s === 'running'), `${to} from ${from.join(', ')}`);
    }
    assert.deepEqual(sourcesOf('succeeded'), ['running']);
  });

  it('checkTransition names the statuses a transition may not leave', () => {
    assert.doesNotThrow(() => checkTransition(['queued', 'running'], 'error'));
    assert.doesNotThrow(() => checkTransition(['queued'], undefined));
    assert.throws(() => checkTransition(['queued', 'running'], 'succeeded'), /from queued to succeeded/);
    assert.throws(() => checkTransition(['failed'], undefined), /from failed to a patch/);
  });
});
