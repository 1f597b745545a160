// Ctrl-C while a command has work on the server: the first SIGINT aborts the command's signal so it can
// cancel the run and clean up; a second one exits at once.
import { ExitCode } from './exit.js';
import { InterruptedError } from './errors.js';

export interface InterruptTrap {
  signal: AbortSignal;
  dispose(): void;
}

export function trapInterrupt(): InterruptTrap {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted);
    controller.abort(new InterruptedError());
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/** Runs `work` with Ctrl-C trapped; whatever a Ctrl-C cut short ends as an InterruptedError. */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const interrupt = trapInterrupt();
  try {
    return await work(interrupt.signal);
  } catch (err) {
    // Ctrl-C before a run existed (packing, uploading, submitting): nothing to cancel.
    if (interrupt.signal.aborted && !(err instanceof InterruptedError)) throw new InterruptedError();
    throw err;
  } finally {
    interrupt.dispose();
  }
}
