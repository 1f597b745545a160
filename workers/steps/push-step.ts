// A push step: each image pushed by the image builder, its digest recorded.
import fs from 'node:fs/promises';
import type { ResolvedStep } from '../../src/taskfile/model.js';
import { EngineError, type ImageBuilder } from '../builder/image-builder.js';
import { pushWithRetry } from '../jobs/push-retry.js';
import { StepFailedError } from './cmd-step.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { pushAs, type RunImages } from './run-images.js';

/** `quarantineDir`: push by digest only, into each reference's repository (temporary files there); no tag moves. */
export async function runPushStep(step: ResolvedStep, engine: ImageBuilder, images: RunImages, log: (line: string) => void, signal: AbortSignal, quarantineDir?: string): Promise<{ reference: string; digest: string; quarantined?: boolean }[]> {
  const pushed: { reference: string; digest: string; quarantined?: boolean }[] = [];
  for (const reference of step.push!) {
    signal.throwIfAborted();
    // Only what this run built: a name some other run left on the shared Engine is not this run's image.
    const local = images.localFor(reference);
    if (!local) throw new StepFailedError(`push ${reference}: no build step of this run tagged it (build it with -t ${reference} first)`);
    log(`slipway: pushing ${reference}`);
    try {
      // A registry away is tried again while the step's own time limit leaves room, as a build's push is.
      const deadline = Date.now() + step.timeoutSeconds * 1000;
      if (quarantineDir !== undefined) {
        await fs.mkdir(quarantineDir, { recursive: true, mode: 0o700 });
        const { digest } = await pushWithRetry(() => engine.pushByDigest(local, [parseImageReference(reference)], quarantineDir), { deadline, signal, log });
        pushed.push({ reference, digest, quarantined: true });
        log(`slipway: quarantined ${reference.replace(/:[^:/]+$/, '')}@${digest}: ${reference} moves to it when a scanner approves`);
        continue;
      }
      const digest = await pushWithRetry(() => pushAs(engine, local, reference, signal, (status) => log(`slipway: ${status}`)), { deadline, signal, log });
      pushed.push({ reference, digest });
      log(`slipway: pushed ${reference}@${digest}`);
    } catch (err) {
      if (err instanceof EngineError) throw new StepFailedError(err.message);
      throw err;
    }
  }
  return pushed;
}
