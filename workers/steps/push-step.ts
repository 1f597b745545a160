// A push step: each image pushed by the image builder, its digest recorded.
import { parseImageReference } from '../../src/registry/reference.js';
import type { ResolvedStep } from '../../src/taskfile/model.js';
import { EngineError, type ImageBuilder } from '../builder/image-builder.js';
import { StepFailedError } from './cmd-step.js';

export async function runPushStep(step: ResolvedStep, engine: ImageBuilder, log: (line: string) => void, signal: AbortSignal): Promise<{ reference: string; digest: string }[]> {
  const pushed: { reference: string; digest: string }[] = [];
  for (const reference of step.push!) {
    signal.throwIfAborted();
    log(`slipway: pushing ${reference}`);
    try {
      const digest = await engine.push(reference, parseImageReference(reference).registry, signal, (status) => log(`slipway: ${status}`));
      pushed.push({ reference, digest });
      log(`slipway: pushed ${reference}@${digest}`);
    } catch (err) {
      if (err instanceof EngineError) throw new StepFailedError(err.message);
      throw err;
    }
  }
  return pushed;
}
