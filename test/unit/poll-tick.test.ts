import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pollTickMs } from '../../src/graph/poller.js';

describe('how often the registry poller looks for a due registry', () => {
  it('every second when a registry is polled every second, so it is never polled late', () => {
    assert.equal(pollTickMs({ defaultIntervalMs: 300_000, intervals: { 'quiet.example': 1000 } }), 1000);
    assert.equal(pollTickMs({ defaultIntervalMs: 1000, intervals: {} }), 1000);
  });

  it('at a twentieth of the shortest interval: at most 5% after a registry is due', () => {
    assert.equal(pollTickMs({ defaultIntervalMs: 300_000, intervals: {} }), 15_000);
    assert.equal(pollTickMs({ defaultIntervalMs: 300_000, intervals: { 'a.example': 600_000, 'b.example': 60_000 } }), 3000);
  });

  it('at least once a minute, however long the intervals', () => {
    assert.equal(pollTickMs({ defaultIntervalMs: 7 * 86_400_000, intervals: {} }), 60_000);
  });
});
