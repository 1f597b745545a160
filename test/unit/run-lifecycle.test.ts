// The one lifecycle every build job goes through, with its runs held in memory: what a user reads in the
// run record and its log when a job succeeds, fails, is canceled, times out, or finds its run taken.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadInputError } from '../../src/errors.js';
import { SecretMasker } from '../../src/log.js';
import { onePlatform } from '../../workers/jobs/platform-build.js';
import { runLifecycle, wholeRun, type AbortSwitches, type JobIO, type RunEnding, type RunJob } from '../../workers/jobs/run-lifecycle.js';
import { MemoryRuns } from '../support/memory-runs.js';

const SECRET = 'hunter2-secret';
const ID = 'r0000001';

function setup(status: 'queued' | 'running' | 'canceled' = 'queued', extra = {}) {
  const runs = new MemoryRuns();
  runs.add(ID, status, extra);
  const active: AbortSwitches = new Map();
  const masker = new SecretMasker();
  masker.add(SECRET);
  const job = (body: (io: JobIO) => Promise<RunEnding>, timeoutSeconds = 60): RunJob<RunEnding> => ({
    runId: ID,
    timeoutSeconds,
    masker,
    greeting: `slipway: run ${ID} on test, platform linux/amd64`,
    scope: wholeRun(runs, { runId: ID, worker: 'test', masker, noun: 'build' }),
    body,
  });
  return { runs, active, deps: { runs, active }, job };
}

/** Rejects once the signal trips, as the Engine's build does. */
const aborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    const fail = () => reject(new Error(`aborted: ${String(signal.reason)}`));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });

describe('the run lifecycle of a whole-run job', () => {
  it('logs the greeting, the body and the success, records the result, and lets go of the abort switch', async () => {
    const { runs, active, deps, job } = setup();
    const status = await runLifecycle(
      deps,
      job(async ({ out }) => {
        assert.equal(active.get(ID)?.size, 1, 'a cancel announcement can reach the running body');
        out.line(`building with ${SECRET}`);
        return { patch: { indexDigest: 'sha256:feed' } };
      }),
    );
    assert.equal(status, 'succeeded');
    assert.equal(runs.runs.get(ID)?.status, 'succeeded');
    assert.equal(runs.runs.get(ID)?.worker, 'test');
    assert.equal(runs.runs.get(ID)?.indexDigest, 'sha256:feed');
    assert.deepEqual(runs.log(ID), [`slipway: run ${ID} on test, platform linux/amd64`, 'building with ***', 'slipway: run succeeded', '(end succeeded)']);
    assert.equal(active.size, 0);
  });

  it('ends an unexpected error as error, its secret masked in the record and the log', async () => {
    const { runs, deps, job } = setup();
    const status = await runLifecycle(
      deps,
      job(async () => {
        throw new Error(`registry said no to ${SECRET}`);
      }),
    );
    assert.equal(status, 'error');
    assert.equal(runs.runs.get(ID)?.error, 'registry said no to ***');
    assert.deepEqual(runs.log(ID).slice(-2), ['slipway: run error: registry said no to ***', '(end error)']);
  });

  it("ends the user's mistake as failed", async () => {
    const { runs, deps, job } = setup();
    const status = await runLifecycle(
      deps,
      job(async () => {
        throw new BadInputError('Dockerfile "Dockerfile" not found in the build context', 'dockerfile_not_found');
      }),
    );
    assert.equal(status, 'failed');
    assert.match(runs.runs.get(ID)?.error ?? '', /^Dockerfile "Dockerfile" not found/);
  });

  it('records a failure the body reports itself with what the body made', async () => {
    const { runs, deps, job } = setup();
    const status = await runLifecycle(
      deps,
      job(async () => ({ patch: { outputImages: [] }, failure: { status: 'failed', message: `step two: exit code 3 (${SECRET})` } })),
    );
    assert.equal(status, 'failed');
    assert.deepEqual(runs.runs.get(ID)?.outputImages, []);
    assert.equal(runs.runs.get(ID)?.error, 'step two: exit code 3 (***)');
    assert.deepEqual(runs.log(ID).slice(-2), ['slipway: run failed: step two: exit code 3 (***)', '(end failed)']);
  });

  it('ends as canceled when a cancel is announced while the body runs, whatever error the abort caused', async () => {
    const { runs, active, deps, job } = setup();
    const status = await runLifecycle(
      deps,
      job(async ({ signal }) => {
        // What the child's cancel subscriber does when the API announces a cancel.
        for (const c of active.get(ID) ?? []) c.abort('canceled');
        return aborted(signal);
      }),
    );
    assert.equal(status, 'canceled');
    assert.equal(runs.runs.get(ID)?.error, 'canceled while running');
    assert.equal(runs.log(ID).at(-2), 'slipway: run canceled: canceled while running');
  });

  it('starts with the signal tripped when the run was flagged for cancel as it was claimed', async () => {
    const { deps, job } = setup('queued', { cancelRequested: true });
    const status = await runLifecycle(
      deps,
      job(async ({ signal }) => {
        signal.throwIfAborted();
        return { patch: {} };
      }),
    );
    assert.equal(status, 'canceled');
  });

  it('ends as timeout when the time runs out', async () => {
    const { runs, deps, job } = setup();
    const status = await runLifecycle(deps, job(({ signal }) => aborted(signal), 1));
    assert.equal(status, 'timeout');
    assert.equal(runs.runs.get(ID)?.error, 'timed out after 1 s');
  });

  it('does nothing for a run canceled while it was queued', async () => {
    const { runs, deps, job } = setup('canceled');
    const status = await runLifecycle(deps, job(async () => assert.fail('the body of a canceled run ran')));
    assert.equal(status, 'canceled');
    assert.deepEqual(runs.log(ID), []);
  });

  it('ends as error a run still running when its job comes again: the worker that had it died', async () => {
    const { runs, deps, job } = setup('running');
    const status = await runLifecycle(deps, job(async () => assert.fail('a build ran twice')));
    assert.equal(status, 'running');
    assert.equal(runs.runs.get(ID)?.status, 'error');
    assert.equal(runs.runs.get(ID)?.error, 'the worker running this build stopped before it finished');
  });
});

describe('the run lifecycle of one platform', () => {
  const platformJob = (runs: MemoryRuns, platform: string, body: (io: JobIO) => Promise<{ digest: string } | undefined>) => ({
    runId: ID,
    timeoutSeconds: 60,
    masker: new SecretMasker(),
    logPrefix: `[${platform}] `,
    greeting: `slipway: building ${platform} on test`,
    scope: onePlatform(runs, ID, platform, 'test'),
    body,
  });

  it('records its digest and leaves the run running for the index assembly', async () => {
    const runs = new MemoryRuns();
    runs.add(ID, 'queued');
    const status = await runLifecycle({ runs, active: new Map() }, platformJob(runs, 'linux/arm64', async () => ({ digest: 'sha256:beef' })));
    assert.equal(status, 'succeeded');
    assert.equal(runs.runs.get(ID)?.status, 'running');
    assert.deepEqual(
      { ...runs.platformResults.get('linux/arm64'), startedAt: undefined, finishedAt: undefined },
      { platform: 'linux/arm64', status: 'succeeded', digest: 'sha256:beef', startedAt: undefined, finishedAt: undefined },
    );
    assert.deepEqual(runs.log(ID), ['[linux/arm64] slipway: building linux/arm64 on test']);
  });

  it('fails the whole run when it fails, and asks its siblings to stop', async () => {
    const runs = new MemoryRuns();
    runs.add(ID, 'queued');
    const status = await runLifecycle(
      { runs, active: new Map() },
      platformJob(runs, 'linux/arm64', async () => {
        throw new Error('exec format error');
      }),
    );
    assert.equal(status, 'error');
    assert.equal(runs.runs.get(ID)?.status, 'error');
    assert.equal(runs.runs.get(ID)?.error, 'linux/arm64: exec format error');
    assert.equal(runs.platformResults.get('linux/arm64')?.error, 'exec format error');
    assert.deepEqual(runs.log(ID).slice(-2), ['slipway: run error: linux/arm64: exec format error', '(end error)']);
    assert.deepEqual(runs.stopped, [ID]);
  });

  it('does not start on a run already ended by a sibling', async () => {
    const runs = new MemoryRuns();
    runs.add(ID, 'canceled');
    const status = await runLifecycle({ runs, active: new Map() }, platformJob(runs, 'linux/amd64', async () => assert.fail('built for an ended run')));
    assert.equal(status, 'canceled');
    assert.equal(runs.platformResults.get('linux/amd64')?.error, 'run canceled before this platform started');
  });
});
