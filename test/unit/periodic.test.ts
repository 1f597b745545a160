// The background pass runner: passes never overlap, a failed pass is reported and the next one runs,
// the first pass can come early, and stop() returns only once the pass under way has finished.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Periodic } from '../../src/periodic.js';

/** A pass that stays under way until released. */
function gatedPass() {
  let release!: () => void;
  let started = 0;
  let gate = new Promise<void>((r) => (release = r));
  return {
    get started() {
      return started;
    },
    pass: async () => {
      started++;
      await gate;
    },
    release: () => {
      release();
      gate = new Promise<void>((r) => (release = r));
    },
  };
}

const failOnError = (err: unknown) => assert.fail(`a pass failed: ${String(err)}`);

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(10);
}

describe('Periodic', () => {
  it('does not start a pass while the previous one is under way', async () => {
    const gated = gatedPass();
    const periodic = new Periodic(5, gated.pass, failOnError);
    periodic.start();
    await sleep(60);
    assert.equal(gated.started, 1);
    gated.release();
    await until(() => gated.started === 2);
    assert.equal(gated.started, 2, 'the next pass starts once the first has finished');
    gated.release();
    await periodic.stop();
  });

  it('stop() waits for the pass under way', async () => {
    const gated = gatedPass();
    const periodic = new Periodic(5, gated.pass, failOnError);
    periodic.start();
    await until(() => gated.started === 1);
    let stopped = false;
    const stopping = periodic.stop().then(() => (stopped = true));
    await sleep(30);
    assert.equal(stopped, false);
    gated.release();
    await stopping;
    assert.equal(gated.started, 1, 'no pass after stop');
  });

  it('reports a failed pass and runs the next one as usual', async () => {
    const errors: unknown[] = [];
    let passes = 0;
    const periodic = new Periodic(5, async () => {
      if (++passes === 1) throw new Error('redis went away');
    }, (err) => errors.push(err));
    periodic.start();
    await until(() => passes >= 2);
    await periodic.stop();
    assert.equal(errors.length, 1);
    assert.match((errors[0] as Error).message, /redis went away/);
    assert.ok(passes >= 2, `passes after the failure: ${passes - 1}`);
  });

  it('runs the first pass after firstAfterMs when given, not an interval later', async () => {
    let passes = 0;
    const periodic = new Periodic(60_000, async () => void passes++, failOnError);
    periodic.start(5);
    await until(() => passes === 1);
    await periodic.stop();
    assert.equal(passes, 1);
  });
});
