// A push step: each image pushed by the image builder, its digest recorded.
import type { ResolvedStep } from '../../src/taskfile/model.js';
import { EngineError, type ImageBuilder } from '../builder/image-builder.js';
import { pushWithRetry } from '../jobs/push-retry.js';
import { StepFailedError } from './cmd-step.js';
import { pushAs, type RunImages } from './run-images.js';

export async function runPushStep(step: ResolvedStep, engine: ImageBuilder, images: RunImages, log: (line: string) => void, signal: AbortSignal): Promise<{ reference: string; digest: string }[]> {
  const pushed: { reference: string; digest: string }[] = [];
  for (const reference of step.push!) {
    signal.throwIfAborted();
    // Only what this run built: a name some other run left on the shared Engine is not this run's image.
    const local = images.localFor(reference);
    if (!local) throw new StepFailedError(`push ${reference}: no build step of this run tagged it (build it with -t ${reference} first)`);
    log(`slipway: pushing ${reference}`);
    try {
      // A registry away is tried again while the step's own time limit leaves room, as a build's push is.
      const deadline = Date.now() + step.timeoutSeconds * 1000;
      const digest = await pushWithRetry(() => pushAs(engine, local, reference, signal, (status) => log(`slipway: ${status}`)), { deadline, signal, log });
      pushed.push({ reference, digest });
      images.pushed(reference);
      log(`slipway: pushed ${reference}@${digest}`);
    } catch (err) {
      if (err instanceof EngineError) throw new StepFailedError(err.message);
      throw err;
    }
  }
  return pushed;
}
