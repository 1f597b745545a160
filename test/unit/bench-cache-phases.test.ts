// The cache bench's split of a build's time (bench/lib/cache-project.ts): the phases a reader of
// bench/results/cache.md is told B's time went to, read from a log as the API replays it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPhases } from '../../bench/lib/cache-project.js';

const at = (ms: number, text: string) => ({ at: 1_000_000 + ms, text });

describe('the cache bench’s phases', () => {
  it('splits a cached build into the wait before BuildKit, BuildKit and the push, and BuildKit by its own durations', () => {
    const lines = [
      at(40, 'slipway: run r1 on host/1, linux/amd64'),
      at(300, '#1 [internal] load build definition from Dockerfile'),
      at(310, '#1 DONE 0.0s'),
      at(500, '#4 importing cache manifest from 127.0.0.1:5000/bench/app:a-1'),
      at(700, '#4 DONE 0.2s'),
      at(900, '#6 [2/3] RUN echo 1234 && dd if=/dev/urandom of=/deps.bin bs=1048576 count=100'),
      at(2_000, '#6 sha256:0123abcd 104.86MB / 104.86MB 1.1s done'),
      at(2_900, '#6 extracting sha256:0123abcd 0.9s done'),
      at(2_950, '#6 CACHED'),
      at(3_100, '#8 exporting to image'),
      at(3_400, '#8 DONE 0.3s'),
      at(3_500, 'slipway: pushing 127.0.0.1:5000/bench/app:b-1'),
      at(4_000, 'slipway: run succeeded'),
    ];
    assert.deepEqual(buildPhases(lines, 1_000_000, 1_004_100), {
      beforeBuildKit: 300,
      buildKit: 3_200,
      push: 600,
      importCache: 200,
      pullLayers: 1_100,
      extract: 900,
      export: 300,
    });
  });

  it('counts the expensive step’s own time when it ran', () => {
    const lines = [at(100, '#6 [2/3] RUN echo 1234 && { echo 1234; dd if=/dev/zero bs=1048576 count=384; } | sha256sum'), at(200, '#6 0.123 some output'), at(9_000, '#6 DONE 8.7s')];
    const phases = buildPhases(lines, 1_000_000, 1_009_500);
    assert.equal(phases.runStep, 8_700);
    assert.equal(phases.pullLayers, undefined, 'no layer pulled: not reported, rather than 0');
    assert.equal(phases.push, 0, 'no push line: nothing pushed');
    assert.equal(phases.buildKit, 9_400, 'BuildKit to the end of the run');
  });
});
