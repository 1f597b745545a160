// What a token may do to what others asked for.
import type { Run } from '../contract/runs.js';
import { ForbiddenError } from './errors.js';
import type { Principal } from './tokens.js';

/** A builder cancels the runs it started; an admin any run. */
export function checkCancel(run: Pick<Run, 'id' | 'requestedBy'>, principal: Principal): void {
  if (principal.role === 'admin' || run.requestedBy === principal.name) return;
  throw new ForbiddenError(`run ${run.id} was started by ${run.requestedBy ?? 'someone else'}; token ${principal.name} may cancel only the runs it started`, 'not_run_owner');
}
