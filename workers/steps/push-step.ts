// A push step: each image pushed by the daemon (workers/engine/docker-engine.ts), its digest recorded.
import { parseImageReference } from '../../src/registry/reference.js';
import type { ResolvedStep } from '../../src/taskfile/model.js';
import { EngineError, type DockerEngine } from '../engine/docker-engine.js';
import { StepFailedError } from './cmd-step.js';

export async function runPushStep(step: ResolvedStep, engine: DockerEngine, log: (line: string) => void, signal: AbortSignal): Promise<{ reference: string; digest: string }[]> {
  const pushed: { reference: string; digest: string }[] = [];
  for (const reference of step.push!) {
    signal.throwIfAborted();
    log(`slipway: pushing ${reference}`);
    try {
      const digest = await engine.push(reference, parseImageReference(reference).registry, signal, (m) => {
        if (m.status && !m.id) log(`slipway: ${m.status}`);
      });
      pushed.push({ reference, digest });
      log(`slipway: pushed ${reference}@${digest}`);
    } catch (err) {
      if (err instanceof EngineError) throw new StepFailedError(err.message);
      throw err;
    }
  }
  return pushed;
}
