// The Docker Engine killed (SIGKILL) and restarted in the middle of a build. The run is not blamed on its
// user: it is built again once the Engine answers (SLIPWAY_ENGINE_LOST_RETRIES, 1 by default), and when the
// Engine goes away again it ends `error` naming the Engine. The worker goes on building on the restarted
// Engine without being restarted itself. A task file's cmd step is no different: a step whose Engine was
// killed under it is not the user's failure. The Engine is one of the test's own, never the shared one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runLog, submit, waitForRun } from '../support/api.js';
import { contextArchive, tarGz } from '../support/archives.js';
import { startSecondEngine, type TestEngine } from '../support/second-engine.js';
import { BASE_IMAGE, startTestStack, uniqueName, type TestStack } from '../support/stack.js';
import { eventually } from './processes.js';

describe('a Docker Engine restarted mid-build', () => {
  let engine: TestEngine;
  let stack: TestStack;
  before(async () => {
    engine = await startSecondEngine({ images: [BASE_IMAGE] });
    stack = await startTestStack({ env: { SLIPWAY_DOCKER_SOCKET: engine.socket } });
  });
  after(async () => {
    await stack?.close();
    await engine?.close();
  });

  /** A run whose one RUN step prints `marker` and then takes a while: long enough to kill the Engine under it. */
  const slowBuild = async (marker: string) => {
    const res = await submit(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\nRUN echo ${marker} && sleep 5\n`), { images: [`faults/${uniqueName('engine')}:v1`], noPush: true, timeoutSeconds: 300 });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id as string;
  };
  /** Resolves once the run's log holds `count` lines of `marker`'s output: its build step has started that often. */
  const stepStarted = (id: string, marker: string, count: number) =>
    eventually(`step of ${id} started ${count} times`, 90_000, async () => ((await runLog(stack.url, id)).match(new RegExp(`^#\\d+ [\\d.]+ ${marker}$`, 'gm'))?.length ?? 0) >= count || undefined);
  /** Kills the Engine mid-step, and starts it again once the run saw it go. */
  const killEngineUnder = async (id: string) => {
    await killEngine(id);
    await engine.start();
  };
  const killEngine = async (id: string) => {
    await engine.kill('SIGKILL');
    await eventually(`run ${id} seeing the Engine go`, 30_000, async () => ((await runLog(stack.url, id)).includes(`the Docker Engine at ${engine.socket} went away`) || undefined));
  };

  /** A task-file run whose cmd step prints `marker` and then sleeps: long enough to kill the Engine under it. */
  const sleepyTaskFile = async (marker: string, timeoutSeconds: number) => {
    const taskFile = `version: v1.1.0\nsteps:\n  - id: sleepy\n    cmd: ${BASE_IMAGE} sh -c 'echo ${marker}; sleep 8; echo ${marker}-done'\n`;
    const res = await submit(stack.url, await tarGz([{ name: 'acb.yaml', content: taskFile }]), { taskFile: 'acb.yaml', timeoutSeconds });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id as string;
  };
  /** Resolves once the cmd step has printed `marker` `count` times: it has started that often. */
  const cmdStarted = (id: string, marker: string, count: number) =>
    eventually(`cmd step of ${id} started ${count} times`, 90_000, async () => ((await runLog(stack.url, id)).match(new RegExp(`^\\[sleepy\\] ${marker}$`, 'gm'))?.length ?? 0) >= count || undefined);

  it('builds the run again once the Engine is back, then ends error when it goes away again, and the worker goes on', async () => {
    const worker = stack.workerPid();

    const retried = await slowBuild('step-retried');
    await stepStarted(retried, 'step-retried', 1);
    await killEngineUnder(retried);
    const built = await waitForRun(stack.url, retried, undefined, 120_000);
    const log = await runLog(stack.url, retried);
    assert.equal(built.status, 'succeeded', log);
    assert.match(log, /went away: .*; building again once it answers \(attempt 2 of 2\)\n/);
    assert.match(log, /slipway: the engine answers again; building again\n/);

    const lost = await slowBuild('step-lost');
    await stepStarted(lost, 'step-lost', 1);
    await killEngineUnder(lost);
    await stepStarted(lost, 'step-lost', 2);
    await killEngineUnder(lost);
    const ended = await waitForRun(stack.url, lost, undefined, 60_000);
    assert.equal(ended.status, 'error', await runLog(stack.url, lost));
    assert.match(ended.error ?? '', new RegExp(`^the Docker Engine at ${engine.socket} went away`));

    // The same worker process, never restarted, builds on the restarted Engine.
    const res = await submit(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\nLABEL after="restart"\n`), { images: [`faults/${uniqueName('engine')}:v1`], noPush: true });
    const after = await waitForRun(stack.url, res.body.id, undefined, 60_000);
    assert.equal(after.status, 'succeeded', after.error);
    assert.equal(stack.workerPid(), worker);
    assert.match(String(after.worker), new RegExp(`/${worker}$`));
  });

  it("runs a task file again when the Engine is killed under its cmd step, and ends it error naming the Engine when the Engine stays away", async () => {
    const retried = await sleepyTaskFile('cmd-retried', 300);
    await cmdStarted(retried, 'cmd-retried', 1);
    await killEngineUnder(retried);
    await cmdStarted(retried, 'cmd-retried', 2);
    const ran = await waitForRun(stack.url, retried, undefined, 120_000);
    const log = await runLog(stack.url, retried);
    assert.equal(ran.status, 'succeeded', log);
    assert.match(log, /\[sleepy\] cmd-retried-done\n/);
    assert.match(log, /slipway: step sleepy stopped: the Docker Engine at .* went away/);
    assert.match(log, /went away: .*; building again once it answers \(attempt 2 of 2\)\n/);
    assert.ok(!/step sleepy failed/.test(log), log);

    // Away for good: the run waits for it within its time limit, then ends error, naming the Engine.
    const lost = await sleepyTaskFile('cmd-lost', 45);
    await cmdStarted(lost, 'cmd-lost', 1);
    await killEngine(lost);
    try {
      const ended = await waitForRun(stack.url, lost, undefined, 90_000);
      assert.equal(ended.status, 'error', await runLog(stack.url, lost));
      assert.match(ended.error ?? '', new RegExp(`^the Docker Engine at ${engine.socket} went away.*did not answer again within the run's time limit`));
    } finally {
      await engine.start();
    }
  });
});
