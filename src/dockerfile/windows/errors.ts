// The one error of daemonless Windows assembly: the Dockerfile, the context or the base image asks for something
// it cannot do without a Windows daemon. Bad input, so the job is not retried. Registry failures stay RegistryErrors.
import { BadInputError } from '../../errors.js';

export class WindowsAssemblyError extends BadInputError {
  override name = 'WindowsAssemblyError';
  constructor(
    message: string,
    /** 1-based Dockerfile line the problem is on, when it is about one. */
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`, 'windows_assembly_refused');
  }
}

/** Also true for one that lost its prototype crossing a process boundary. */
export function isWindowsAssemblyError(err: unknown): err is WindowsAssemblyError {
  return err instanceof WindowsAssemblyError || (err instanceof Error && err.name === 'WindowsAssemblyError');
}
