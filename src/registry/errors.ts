// The error every failed registry call ends in. `status` is what the registry answered (401, 404, 429, …);
// 503 when it could not be reached, 502 when its answer was unusable (bad JSON, wrong digest).
// Messages name the operation and the repository, never a credential or a token.
import { SlipwayError } from '../errors.js';

export interface RegistryErrorInit {
  status: number;
  registry: string;
  operation: string;
  message: string;
  /** Overrides the code derived from the status. */
  code?: string;
  /** Worth trying the job again later (429, 5xx, unreachable). Derived from the status when absent. */
  retryable?: boolean;
}

export class RegistryError extends SlipwayError {
  override name = 'RegistryError';
  readonly registry: string;
  readonly operation: string;
  readonly retryable: boolean;

  constructor(init: RegistryErrorInit) {
    super(init.status, init.code ?? codeFor(init.status), init.message);
    this.registry = init.registry;
    this.operation = init.operation;
    this.retryable = init.retryable ?? (init.status === 429 || init.status === 408 || init.status >= 500);
  }
}

/** Also true for a RegistryError that lost its prototype crossing a process boundary. */
export function isRegistryError(err: unknown): err is RegistryError {
  return err instanceof RegistryError || (err instanceof Error && err.name === 'RegistryError' && 'status' in err);
}

function codeFor(status: number): string {
  if (status === 401) return 'registry_unauthorized';
  if (status === 403) return 'registry_denied';
  if (status === 404) return 'registry_not_found';
  if (status === 429) return 'registry_rate_limited';
  if (status >= 500) return 'registry_unavailable';
  return 'registry_error';
}
