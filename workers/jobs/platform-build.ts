// One platform of a multi-platform run: build it, push its manifest by digest (no tag), record the digest.
// The first platform to fail fails the whole run and stops its siblings; the index is then never pushed.
import type { DockerfileJob } from '../../src/queue/jobs.js';
import { isTerminal, type PlatformResult, type RunStatus } from '../../src/runs/model.js';
import type { RunProgress } from '../../src/runs/progress.js';
import { withRegistryLogins, type ChildContext } from '../child-context.js';
import { recordBaseImages } from './base-images.js';
import { buildArgsMasker, buildImage, contextFolder, withWorkspace } from './build-steps.js';
import { runImageName } from '../steps/run-images.js';
import { checkPushScope } from './push-scope.js';
import { runLifecycle, type RunScope } from './run-lifecycle.js';
import { pushWithRetry, unreachableAsRetryable } from './push-retry.js';
import { assembleWindows, distinctRepositories } from './windows-steps.js';

/** What a platform's build left in the registry: nothing when the run is not pushed. */
type PlatformPush = Pick<PlatformResult, 'digest' | 'osVersion'> | undefined;

export function runPlatformBuild(shared: ChildContext, spec: DockerfileJob, worker: string): Promise<RunStatus> {
  const { platform } = spec;
  const masker = buildArgsMasker(spec);
  const ctx = withRegistryLogins(shared, spec.registryLogins, masker);
  return runLifecycle(ctx, {
    runId: spec.runId,
    timeoutSeconds: spec.timeoutSeconds,
    masker,
    logPrefix: `[${platform}] `,
    greeting: `slipway: building ${platform} on ${worker}`,
    scope: onePlatform(ctx.runs, spec.runId, platform, worker),
    body: (io) => {
      if (!spec.noPush) checkPushScope(spec, spec.images, ctx.config.defaultRegistry);
      return withWorkspace(ctx, spec, io, async (ws): Promise<PlatformPush> => {
        const { out, signal } = io;
        if (spec.daemonless) {
          await recordBaseImages(ctx, spec, ws, out);
          const assembled = await assembleWindows(ctx, spec, contextFolder(ws), out, signal);
          return spec.noPush ? undefined : { digest: assembled.manifestDigest, osVersion: assembled.platform['os.version'] };
        }
        // Tagged with this platform's own run-scoped name, and that name removed: the image id itself may be
        // shared with another run that built the same content, whose image must not vanish under it.
        const local = runImageName(`${ctx.config.prefix}-${spec.runId}-${platform}`, 'build');
        const imageId = await buildImage(ctx, spec, ws, [local], out, signal);
        try {
          if (spec.noPush) return undefined;
          const pushed = await pushWithRetry(() => unreachableAsRetryable(`the ${platform} manifest`, () => ctx.engine.pushByDigest(imageId, distinctRepositories(spec.images), ws.dir)), {
            deadline: io.deadline,
            signal,
            log: (line) => out.line(line),
          });
          out.line(`slipway: pushed ${platform} manifest ${pushed.digest}`);
          return { digest: pushed.digest, osVersion: pushed.platform['os.version'] };
        } finally {
          await ctx.engine.removeImage(local);
        }
      });
    },
  });
}

/**
 * The platform's own result in the run; the run itself is ended by the index assembly, or by the first
 * platform that fails.
 */
export function onePlatform(runs: RunProgress, id: string, platform: string, worker: string): RunScope<PlatformPush> {
  const now = () => new Date().toISOString();
  let startedAt: string | undefined;
  return {
    async claim() {
      const run = await runs.get(id);
      if (!run || isTerminal(run.status) || run.cancelRequested) {
        await runs.setPlatformResult(id, { platform, status: 'canceled', error: `run ${run?.status ?? 'gone'} before this platform started`, finishedAt: now() });
        return { skipped: 'canceled' };
      }
      // The first platform to start moves the run to running; the others find it there.
      await runs.start(id, worker);
      startedAt = now();
      await runs.setPlatformResult(id, { platform, status: 'running', startedAt });
      return { run };
    },
    async record(pushed) {
      await runs.setPlatformResult(id, { platform, status: 'succeeded', startedAt, finishedAt: now(), ...pushed });
      return 'succeeded';
    },
    async fail(status, message) {
      await runs.setPlatformResult(id, { platform, status, error: message, startedAt, finishedAt: now() });
      const first = await runs.finish(id, ['queued', 'running'], status, { error: `${platform}: ${message}` }, [`slipway: run ${status}: ${platform}: ${message}`]);
      // This platform ended the run: stop the others.
      if (first && status !== 'canceled') await runs.stopBuilds(id);
      return status;
    },
  };
}
