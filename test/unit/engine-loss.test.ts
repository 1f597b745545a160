// A run whose Docker Engine went away mid-build: what its user reads. The engine's loss is the system's
// fault (`error`, never `failed`); when the setting allows, the run is built again once the engine answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SecretMasker } from '../../src/log.js';
import { EngineUnavailableError } from '../../workers/builder/image-builder.js';
import { runLifecycle, wholeRun, type EngineLossRetry, type JobIO, type RunEnding } from '../../workers/jobs/run-lifecycle.js';
import { MemoryRuns } from '../support/memory-runs.js';

const ID = 'r0000001';
const LOST = 'the Docker Engine at /run/test.sock went away: aborted';

/** Runs a whole-run job whose body meets a lost engine on its first `lostTimes` attempts. */
async function buildThrough(lostTimes: number, engineLoss: EngineLossRetry | undefined, timeoutSeconds = 60) {
  const runs = new MemoryRuns();
  runs.add(ID, 'queued');
  const masker = new SecretMasker();
  let attempts = 0;
  const status = await runLifecycle(
    { runs, active: new Map(), ...(engineLoss ? { engineLoss } : {}) },
    {
      runId: ID,
      timeoutSeconds,
      masker,
      greeting: `slipway: run ${ID}`,
      scope: wholeRun(runs, { runId: ID, worker: 'test', masker, noun: 'build' }),
      body: async ({ out }: JobIO): Promise<RunEnding> => {
        attempts++;
        out.line(`building, attempt ${attempts}`);
        if (attempts <= lostTimes) throw new EngineUnavailableError(LOST);
        return { patch: {} };
      },
    },
  );
  return { status, attempts, run: runs.runs.get(ID), log: runs.log(ID) };
}

/** An engine that answers from its `downFor + 1`-th ping on. */
function engineBackAfter(downFor: number, retries = 1): EngineLossRetry & { pings: number } {
  const engine = { pings: 0, retries, pollMs: 1, answers: async () => ++engine.pings > downFor };
  return engine;
}

describe('a build whose engine went away', () => {
  it('is built again once the engine answers, and says so in its log', async () => {
    const engine = engineBackAfter(2);
    const { status, attempts, log } = await buildThrough(1, engine);
    assert.equal(status, 'succeeded');
    assert.equal(attempts, 2);
    assert.equal(engine.pings, 3, 'it waited for the engine before building again');
    assert.deepEqual(log, [
      `slipway: run ${ID}`,
      'building, attempt 1',
      `slipway: ${LOST}; building again once it answers (attempt 2 of 2)`,
      'slipway: the engine answers again; building again',
      'building, attempt 2',
      'slipway: run succeeded',
      '(end succeeded)',
    ]);
  });

  it('ends error naming the engine when it goes away again after its retries', async () => {
    const { status, attempts, run, log } = await buildThrough(2, engineBackAfter(0));
    assert.equal(status, 'error');
    assert.equal(attempts, 2);
    assert.equal(run?.error, LOST);
    assert.equal(log.at(-2), `slipway: run error: ${LOST}`);
  });

  it('ends error at once when no retry is allowed', async () => {
    for (const engine of [undefined, engineBackAfter(0, 0)]) {
      const { status, attempts, run } = await buildThrough(1, engine);
      assert.deepEqual({ status, attempts, error: run?.error }, { status: 'error', attempts: 1, error: LOST });
    }
  });

  it("ends error when the engine does not answer again within the run's time limit", async () => {
    // 6 s of limit, less the margin left for the retried build: the wait gives up after about a second.
    const { status, attempts, run } = await buildThrough(1, { retries: 1, pollMs: 20, answers: async () => false }, 6);
    assert.equal(status, 'error');
    assert.equal(attempts, 1);
    assert.equal(run?.error, `${LOST}; it did not answer again within the run's time limit`);
  });
});
