// Pushes again while the registry is away (refused, timed out, 5xx), waiting longer each time, for as long
// as the run's time limit leaves room: a registry restarting or failing over costs a run nothing. When the
// room runs out the last error is thrown, and the run ends `error` naming the registry, not `timeout`.
import { setTimeout as sleep } from 'node:timers/promises';
import { isRegistryError } from '../../src/registry/errors.js';
import { RegistryUnreachableError } from '../builder/image-builder.js';

export const PUSH_RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 15_000];
/** Left before the run's deadline for the run to record its end. */
const MARGIN_MS = 3_000;

export async function pushWithRetry<T>(
  push: () => Promise<T>,
  opts: { deadline: number; signal: AbortSignal; log: (line: string) => void; delaysMs?: readonly number[] },
): Promise<T> {
  const delays = opts.delaysMs ?? PUSH_RETRY_DELAYS_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await push();
    } catch (err) {
      if (!(err instanceof RegistryUnreachableError) || opts.signal.aborted) throw err;
      const delay = delays[Math.min(attempt, delays.length - 1)]!;
      if (Date.now() + delay + MARGIN_MS > opts.deadline) {
        throw new RegistryUnreachableError(err.registry, `${err.message} (gave up after ${attempt + 1} attempts, within the run's time limit)`);
      }
      opts.log(`slipway: registry ${err.registry} unreachable; pushing again in ${delay / 1000} s`);
      await sleep(delay, undefined, { signal: opts.signal });
    }
  }
}

/**
 * A push through the registry client (by digest) that met a registry away (unreachable, 429, 5xx) as a
 * RegistryUnreachableError, which pushWithRetry retries and which ends a run `error`, not `failed`.
 */
export async function unreachableAsRetryable<T>(what: string, push: () => Promise<T>): Promise<T> {
  try {
    return await push();
  } catch (err) {
    if (isRegistryError(err) && err.retryable) throw new RegistryUnreachableError(err.registry, `registry ${err.registry} unreachable while pushing ${what}: ${err.message}`);
    throw err;
  }
}
