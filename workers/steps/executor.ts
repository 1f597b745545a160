// Runs a task file's steps: each starts once the steps it waits for are done, so steps of one level run side
// by side; a failure stops the task (unless ignoreErrors) and the steps still running are canceled. Whatever
// happens (failure, cancel, timeout), the run's containers, networks and secret files are removed. An Engine
// gone away under a step is not the step's failure: the task stops and the loss is thrown, for the run's
// lifecycle to end it `error` or run it again once the Engine answers.
import type { ResolvedStep } from '../../src/taskfile/model.js';
import { isEngineUnavailable } from '../builder/image-builder.js';
import { runAttempts, StepTimeoutError } from './attempts.js';
import { runBuildStep } from './build-step.js';
import { runCmdStep, StepFailedError } from './cmd-step.js';
import type { StepExecutorOptions, StepRecord, TaskRunResult, TaskRunStatus } from './model.js';
import { runPushStep } from './push-step.js';
import { RunImages } from './run-images.js';
import { RunResources } from './run-resources.js';

export async function runTaskSteps(opts: StepExecutorOptions): Promise<TaskRunResult> {
  const { task, masker } = opts;
  const log = (line: string) => opts.log(masker.mask(line));
  const { containers } = opts;
  const resources = new RunResources(containers, opts.scope, opts.limits);
  const images = new RunImages(opts.scope, opts.engine);
  // Trips on the run's own cancel or timeout, and on the first step failure that ends the task.
  const stop = new AbortController();
  const onRunAbort = () => stop.abort(opts.signal.reason);
  opts.signal.addEventListener('abort', onRunAbort, { once: true });
  if (opts.signal.aborted) onRunAbort();
  const records = new Map<string, StepRecord>(task.steps.map((s) => [s.id, { id: s.id, kind: s.kind, status: 'skipped', attempts: 0 }]));
  let firstError: string | undefined;
  let engineLost: Error | undefined;
  const byId = new Map(task.steps.map((s) => [s.id, s]));
  const running = new Map<string, Promise<boolean>>();

  try {
    for (const s of task.steps) {
      if (s.privileged && !opts.allowPrivileged) throw new StepFailedError(`step ${s.id}: privileged containers are not allowed on this server`);
    }
    // A run built again after its Engine went away finds what its first attempt left there under the same names.
    await resources.removeLeftovers();
    resources.planNetworks(task);
    const volumes = await resources.writeVolumes(task, opts.scratchDir);

    /** Resolves true when the step succeeded or its failure is ignored: steps waiting for it may start. */
    const outcome = (id: string): Promise<boolean> => {
      let p = running.get(id);
      if (!p) {
        p = (async () => {
          const step = byId.get(id)!;
          const ready = await Promise.all(step.after.map(outcome));
          if (!ready.every(Boolean) || stop.signal.aborted) return false;
          return runStep(step);
        })();
        running.set(id, p);
      }
      return p;
    };

    const runStep = async (step: ResolvedStep): Promise<boolean> => {
      const record = records.get(step.id)!;
      const stepLog = (line: string) => log(`[${step.id}] ${line}`);
      try {
        await runAttempts(
          step,
          stop.signal,
          stepLog,
          async (signal, attempt) => {
            record.attempts = attempt;
            if (step.kind === 'cmd') {
              const { exitCode } = await runCmdStep(step, { containers, scope: opts.scope, workspace: opts.workspace, resources, images, volumes, platform: opts.platform, log: stepLog, signal, ...(opts.stepImageUsed ? { imageUsed: opts.stepImageUsed } : {}) }, attempt);
              record.exitCode = exitCode;
            } else if (step.kind === 'build') {
              await runBuildStep(step, { engine: opts.engine, images, workspace: opts.workspace, volumes, scratchDir: opts.scratchDir, ...(opts.checkoutGit ? { checkoutGit: opts.checkoutGit } : {}), platform: opts.platform, log: stepLog, signal, ...(opts.noPush ? { noCacheExport: 'this run does not push' } : opts.quarantine ? { noCacheExport: 'the run is quarantined: no tag moves before a scanner approves' } : {}) });
            }
            else if (opts.noPush) stepLog(`slipway: not pushing ${step.push!.join(', ')}: this run does not push`);
            else record.pushed = await runPushStep(step, opts.engine, images, stepLog, signal, opts.quarantine ? opts.scratchDir : undefined);
          },
          () => {
            record.startedAt = new Date().toISOString();
            log(`slipway: step ${step.id} started`);
          },
        );
        record.status = 'succeeded';
        return true;
      } catch (err) {
        if (stop.signal.aborted) {
          record.status = record.startedAt ? 'canceled' : 'skipped';
          return false;
        }
        record.status = err instanceof StepTimeoutError ? 'timeout' : 'failed';
        if (err instanceof StepFailedError && err.exitCode !== undefined) record.exitCode = err.exitCode;
        record.error = masker.mask(err instanceof Error ? err.message : String(err));
        if (isEngineUnavailable(err)) {
          // Not ignorable: no later step can run on an Engine that is gone.
          log(`slipway: step ${step.id} stopped: ${record.error}`);
          engineLost ??= err;
          stop.abort('failed');
          return false;
        }
        if (!(err instanceof StepFailedError || err instanceof StepTimeoutError)) record.error = `unexpected error: ${record.error}`;
        if (step.ignoreErrors) {
          record.ignored = true;
          log(`slipway: step ${step.id} ${record.status}: ${record.error} (ignored)`);
          return true;
        }
        log(`slipway: step ${step.id} ${record.status}: ${record.error}`);
        firstError ??= `step ${step.id} ${record.status === 'timeout' ? 'timed out' : 'failed'}: ${record.error}`;
        stop.abort('failed');
        return false;
      } finally {
        if (record.startedAt) record.finishedAt = new Date().toISOString();
        if (record.status === 'succeeded') log(`slipway: step ${step.id} succeeded`);
      }
    };

    await Promise.all(task.steps.map((s) => outcome(s.id)));
  } catch (err) {
    if (isEngineUnavailable(err)) engineLost ??= err;
    else firstError ??= masker.mask(err instanceof Error ? err.message : String(err));
    if (!stop.signal.aborted) stop.abort('failed');
  } finally {
    opts.signal.removeEventListener('abort', onRunAbort);
    await resources.release();
    await images.release();
  }
  if (engineLost && !opts.signal.aborted) throw engineLost;
  const status: TaskRunStatus = opts.signal.aborted ? (opts.signal.reason === 'timeout' ? 'timeout' : 'canceled') : firstError ? 'failed' : 'succeeded';
  return { status, steps: [...records.values()], ...(firstError ? { error: firstError } : {}) };
}
