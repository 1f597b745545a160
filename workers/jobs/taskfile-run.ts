// A task-file run (`slipway run -f acb.yaml`, or a task whose file is a task file): the source in a fresh
// workspace, the file rendered with this run's variables, values and secrets, then its steps run by the
// step executor. Secret values are masked in every line and error, and only their names reach the record.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TaskFileJob } from '../../src/queue/jobs.js';
import { parseImageReference } from '../../src/registry/reference.js';
import type { OutputImage, RunStatus } from '../../src/runs/model.js';
import { runVariables } from '../../src/runs/variables.js';
import { loadTaskFile } from '../../src/taskfile/load.js';
import { resolveInside } from '../../src/contexts/resolve-inside.js';
import { secretMasker } from '../../src/taskfile/secrets.js';
import { BadInputError } from '../../src/errors.js';
import { isQuarantined } from '../../src/quarantine/policy.js';
import { withRegistryLogins, type ChildContext } from '../child-context.js';
import { runTaskSteps } from '../steps/executor.js';
import { recordTaskFileBases } from './base-images.js';
import { contextFolder, withWorkspace } from './build-steps.js';
import { checkPushScope } from './push-scope.js';
import { runLifecycle, wholeRun, type JobIO, type RunEnding } from './run-lifecycle.js';

export function runTaskFile(shared: ChildContext, spec: TaskFileJob, worker: string): Promise<RunStatus> {
  const masker = secretMasker(spec.secretValues);
  const ctx = withRegistryLogins(shared, spec.registryLogins, masker);
  return runLifecycle(ctx, {
    runId: spec.runId,
    timeoutSeconds: spec.timeoutSeconds,
    masker,
    greeting: `slipway: run ${spec.runId} on ${worker}, task file ${spec.taskFile}`,
    scope: wholeRun(ctx.runs, { runId: spec.runId, worker, masker, noun: 'run' }),
    body: (io) => runSteps(ctx, spec, io),
  });
}

async function runSteps(ctx: ChildContext, spec: TaskFileJob, io: JobIO): Promise<RunEnding> {
  const { config } = ctx;
  const { out, signal, run } = io;
  const result = await withWorkspace(ctx, spec, io, async (workspace) => {
    const ws = { ...workspace, contextDir: contextFolder(workspace) };
    const source = await fs.readFile(resolveInside(ws.contextDir, spec.taskFile) ?? '');
    const ref = run?.request.git?.ref ?? run?.trigger.ref ?? '';
    const loaded = loadTaskFile(source, {
      file: spec.taskFile,
      run: {
        ...runVariables(spec.runId, spec.platform, config.defaultRegistry),
        Commit: spec.source.kind === 'git' ? spec.source.commit : '',
        Branch: ref.replace(/^refs\/heads\//, ''),
        TaskName: spec.task ?? '',
        SharedVolume: ws.contextDir,
      },
      values: spec.values,
      secrets: spec.secretValues,
      imageAliases: config.taskFiles.imageAliases,
      allowPrivileged: config.taskFiles.allowPrivileged,
      stepLimits: config.taskFiles.stepLimits,
    });
    for (const warning of loaded.warnings) out.line(`slipway: warning: ${warning}`);
    // A build step's cache image is pushed as well, into the repository of its first tag.
    if (!spec.noPush) checkPushScope(spec, loaded.task.steps.flatMap((s) => [...(s.push ?? []), ...(s.buildCache ? [s.buildCache] : [])]), config.defaultRegistry);
    if (!spec.noPush && !spec.quarantine) refuseUnquarantinedPushes(loaded.task.steps.flatMap((s) => s.push ?? []), config);
    await recordTaskFileBases(ctx, spec, loaded.task, ws.contextDir, loaded.masker, out);
    return runTaskSteps({
      task: loaded.task,
      scope: `${config.prefix}-${spec.runId}`.toLowerCase(),
      workspace: ws.contextDir,
      scratchDir: path.join(ws.dir, 'secret-volumes'),
      engine: ctx.engine,
      containers: ctx.containers,
      log: (line) => out.line(line),
      masker: loaded.masker,
      signal,
      platform: spec.platform,
      allowPrivileged: config.taskFiles.allowPrivileged,
      noPush: spec.noPush === true,
      ...(spec.quarantine ? { quarantine: true } : {}),
      // No token: a build step's remote context is another repository than the task's own.
      checkoutGit: async (git, dest, signal, log) => {
        const checkout = await ctx.git.checkout({ url: git.url, ...(git.ref ? { ref: git.ref } : {}), ...(git.subdir ? { subdir: git.subdir } : {}), dest, signal, onLine: (line) => log(`git: ${line}`) });
        log(`slipway: checked out ${git.url} at ${checkout.commit} (${checkout.fetched})`);
        return checkout.contextDir;
      },
      limits: config.taskFiles.stepLimits,
      stepImageUsed: ctx.stepImageUsed,
    });
  });
  const { steps } = result;
  const patch = { outputImages: steps.flatMap((s) => (s.pushed ?? []).map(toOutputImage)), steps };
  if (result.status === 'succeeded') return { patch };
  const message = result.status === 'timeout' ? `timed out after ${spec.timeoutSeconds} s` : result.status === 'canceled' ? 'canceled while running' : (result.error ?? 'a step failed');
  return { patch, failure: { status: result.status, message } };
}

/**
 * A task's task file from git is read only here: a push step into a quarantined repository that the run was
 * not made quarantined for (its task is not set to quarantine) is refused rather than pushed unreviewed.
 */
function refuseUnquarantinedPushes(pushes: readonly string[], config: ChildContext['config']): void {
  const held = pushes.filter((image) => isQuarantined({ repositories: config.quarantineRepositories, defaultRegistry: config.defaultRegistry }, [image]));
  if (held.length) {
    throw new BadInputError(`${held.join(', ')}: a quarantined repository (SLIPWAY_QUARANTINE_REPOSITORIES), and this run is not quarantined; set its task to quarantine (slipway task update NAME --quarantine on)`, 'quarantine_required');
  }
}

function toOutputImage(pushed: { reference: string; digest: string; quarantined?: boolean }): OutputImage {
  const ref = parseImageReference(pushed.reference);
  return { registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest', digest: pushed.digest, ...(pushed.quarantined ? { quarantine: { state: 'quarantined' as const } } : {}) };
}
