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
