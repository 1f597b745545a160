import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRunId, RUN_ID_PATTERN } from '../../src/runs/ids.js';

describe('run ids', () => {
  it('are short, typable and sort in creation order', () => {
    const ids = [1, 2, 31, 32, 33, 1023, 1024, 99_999, 1_000_000_000].map(formatRunId);
    assert.deepEqual([...ids].sort(), ids);
    for (const id of ids) {
      assert.match(id, RUN_ID_PATTERN);
      assert.equal(id.length, 8);
      assert.doesNotMatch(id, /[ilou]/, 'no letters that read as digits');
    }
    assert.equal(formatRunId(1), 'r0000001');
    assert.equal(formatRunId(32), 'r0000010');
  });
  it('refuses sequences it cannot write', () => {
    for (const seq of [0, -1, 1.5, 32 ** 7]) assert.throws(() => formatRunId(seq), RangeError);
  });
});
