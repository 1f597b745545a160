// A push step: each image pushed by the image builder, its digest recorded.
import { parseImageReference } from '../../src/registry/reference.js';
import type { ResolvedStep } from '../../src/taskfile/model.js';
import { EngineError, type ImageBuilder } from '../builder/image-builder.js';
import { pushWithRetry } from '../jobs/push-retry.js';
import { StepFailedError } from './cmd-step.js';

export async function runPushStep(step: ResolvedStep, engine: ImageBuilder, log: (line: string) => void, signal: AbortSignal): Promise<{ reference: string; digest: string }[]> {
  const pushed: { reference: string; digest: string }[] = [];
  for (const reference of step.push!) {
    signal.throwIfAborted();
    log(`slipway: pushing ${reference}`);
    try {
      // A registry away is tried again while the step's own time limit leaves room, as a build's push is.
      const deadline = Date.now() + step.timeoutSeconds * 1000;
      const digest = await pushWithRetry(() => engine.push(reference, parseImageReference(reference).registry, signal, (status) => log(`slipway: ${status}`)), { deadline, signal, log });
      pushed.push({ reference, digest });
      log(`slipway: pushed ${reference}@${digest}`);
    } catch (err) {
      if (err instanceof EngineError) throw new StepFailedError(err.message);
      throw err;
    }
  }
  return pushed;
}
