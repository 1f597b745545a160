// What a token may do to what others asked for.
import type { Run } from '../contract/runs.js';
import { ForbiddenError } from './errors.js';
import type { Principal } from './tokens.js';

/** A builder cancels the runs it started; an admin any run. */
export function mayCancel(run: Pick<Run, 'requestedBy'>, principal: Pick<Principal, 'name' | 'role'>): boolean {
  return principal.role === 'admin' || run.requestedBy === principal.name;
}

export function checkCancel(run: Pick<Run, 'id' | 'requestedBy'>, principal: Principal): void {
  if (mayCancel(run, principal)) return;
  throw new ForbiddenError(`run ${run.id} was started by ${run.requestedBy ?? 'someone else'}; token ${principal.name} may cancel only the runs it started`, 'not_run_owner');
}
