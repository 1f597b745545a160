// How often and how long one step runs: startDelay first, then the step with its own timeout, again after
// retryDelay while retries last, and `repeat` more times after a success, as ACR runs them. An Engine gone
// away is no failure of the step: it is not retried here, but handed up to the run (which retries the run).
import type { ResolvedStep } from '../../src/taskfile/model.js';
import { isEngineUnavailable } from '../builder/image-builder.js';
import { StepFailedError } from './cmd-step.js';

export class StepTimeoutError extends Error {
  override name = 'StepTimeoutError';
}

export interface AttemptsOutcome {
  attempts: number;
  startedAt: string;
}

/** Runs `once` as the step's properties say; throws the last failure. `onStart` fires when the first attempt begins. */
export async function runAttempts(step: ResolvedStep, signal: AbortSignal, log: (line: string) => void, once: (signal: AbortSignal, attempt: number) => Promise<void>, onStart: () => void): Promise<number> {
  if (step.startDelaySeconds) await sleep(step.startDelaySeconds, signal);
  onStart();
  let attempts = 0;
  for (let run = 0; run <= step.repeat; run++) {
    for (let retry = 0; ; retry++) {
      signal.throwIfAborted();
      attempts++;
      const timeout = AbortSignal.timeout(step.timeoutSeconds * 1000);
      try {
        await once(AbortSignal.any([signal, timeout]), attempts);
        break;
      } catch (err) {
        const error = !signal.aborted && timeout.aborted ? new StepTimeoutError(`timed out after ${step.timeoutSeconds} s`) : err;
        if (signal.aborted || retry >= step.retries || isEngineUnavailable(error)) throw error;
        log(`slipway: step ${step.id} failed (${(error as Error).message}); retry ${retry + 1} of ${step.retries} in ${step.retryDelaySeconds} s`);
        await sleep(step.retryDelaySeconds, signal);
      }
    }
  }
  return attempts;
}

function sleep(seconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, seconds * 1000);
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new StepFailedError(String(signal.reason)));
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}
