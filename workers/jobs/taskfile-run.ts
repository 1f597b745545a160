// A task-file run (`slipway run -f acb.yaml`, or a task whose file is a task file): the source in a fresh
// workspace, the file rendered with this run's variables, values and secrets, then its steps run by the
// step executor. Secret values are masked in every line and error, and only their names reach the record.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BuildJob } from '../../src/queue/jobs.js';
import { parseImageReference } from '../../src/registry/reference.js';
import type { OutputImage, RunStatus } from '../../src/runs/model.js';
import { loadTaskFile } from '../../src/taskfile/load.js';
import { resolveInside } from '../../src/contexts/resolve-inside.js';
import { secretMasker } from '../../src/taskfile/secrets.js';
import { trackBuild, type ChildContext } from '../child-context.js';
import { RunLogWriter } from '../log-writer.js';
import { runTaskSteps } from '../steps/executor.js';
import type { StepRecord } from '../steps/model.js';
import { recordTaskFileBases } from './base-images.js';
import { contextFolder, outcome, newProgress, withWorkspace } from './build-steps.js';

export async function runTaskFile(ctx: ChildContext, spec: BuildJob, worker: string): Promise<RunStatus> {
  const { runs, config } = ctx;
  const id = spec.runId;
  if (!(await runs.start(id, worker))) {
    const run = await runs.store.get(id);
    if (run?.status === 'running') await runs.finish(id, ['running'], 'error', { error: 'the worker running this run stopped before it finished' });
    return run?.status ?? 'error';
  }
  const record = await runs.store.get(id);
  const masker = secretMasker(spec.secretValues ?? {});
  const out = new RunLogWriter(runs.log, id, masker);
  const { abort, release } = trackBuild(ctx, id);
  const timer = setTimeout(() => abort.abort('timeout'), spec.timeoutSeconds * 1000);
  if (record?.cancelRequested) abort.abort('canceled');
  let steps: StepRecord[] = [];
  try {
    out.line(`slipway: run ${id} on ${worker}, task file ${spec.taskFile}`);
    const result = await withWorkspace(ctx, spec, { out, signal: abort.signal }, async (workspace) => {
      const ws = { ...workspace, contextDir: contextFolder(workspace) };
      const source = await fs.readFile(resolveInside(ws.contextDir, spec.taskFile!) ?? '');
      const ref = record?.request.git?.ref ?? record?.trigger.ref ?? '';
      const loaded = loadTaskFile(source, {
        file: spec.taskFile!,
        run: {
          ...runs.runVariables(id, spec.platform),
          Commit: spec.git?.commit ?? '',
          Branch: ref.replace(/^refs\/heads\//, ''),
          TaskName: spec.task ?? '',
          SharedVolume: ws.contextDir,
        },
        values: spec.values ?? {},
        secrets: spec.secretValues ?? {},
        imageAliases: config.taskFiles.imageAliases,
        allowPrivileged: config.taskFiles.allowPrivileged,
      });
      for (const warning of loaded.warnings) out.line(`slipway: warning: ${warning}`);
      await recordTaskFileBases(ctx, spec, loaded.task, ws.contextDir, loaded.masker, out);
      return runTaskSteps({
        task: loaded.task,
        runId: id.toLowerCase(),
        workspace: ws.contextDir,
        scratchDir: path.join(ws.dir, 'secret-volumes'),
        engine: ctx.engine,
        log: (line) => out.line(line),
        masker: loaded.masker,
        signal: abort.signal,
        platform: spec.platform,
        allowPrivileged: config.taskFiles.allowPrivileged,
      });
    });
    steps = result.steps;
    const outputImages = steps.flatMap((s) => (s.pushed ?? []).map(toOutputImage));
    await out.flush();
    if (result.status === 'succeeded') {
      await runs.finish(id, ['running'], 'succeeded', { outputImages, steps }, ['slipway: run succeeded']);
      return 'succeeded';
    }
    const message = result.status === 'timeout' ? `timed out after ${spec.timeoutSeconds} s` : result.status === 'canceled' ? 'canceled while running' : (result.error ?? 'a step failed');
    await runs.finish(id, ['running'], result.status, { outputImages, steps, error: masker.mask(message) }, [masker.mask(`slipway: run ${result.status}: ${message}`)]);
    return result.status;
  } catch (err) {
    // The file itself was wrong (its errors carry line and column), or the source could not be had.
    const { status, message } = outcome(err, abort.signal, newProgress(out), spec.timeoutSeconds);
    await out.flush().catch(() => undefined);
    await runs.finish(id, ['running'], status, { error: masker.mask(message), ...(steps.length ? { steps } : {}) }, [masker.mask(`slipway: run ${status}: ${message}`)]);
    return status;
  } finally {
    clearTimeout(timer);
    release();
  }
}

function toOutputImage(pushed: { reference: string; digest: string }): OutputImage {
  const ref = parseImageReference(pushed.reference);
  return { registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest', digest: pushed.digest };
}
