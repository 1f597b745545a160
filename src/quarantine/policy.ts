// Which runs go to quarantine: those of a task set to it, and those pushing into a repository the operator
// named (SLIPWAY_QUARANTINE_REPOSITORIES). Decided once, when the run is made, and stored in its request, so
// a change of the setting never changes what a queued run does.
import { mayPushTo } from '../auth/scopes.js';

export interface QuarantinePolicy {
  /** Repository patterns, as token scopes take them; none means no repository is quarantined by name. */
  repositories: readonly string[];
  defaultRegistry: string;
}

/** Whether a run pushing `images` (normalised) goes to quarantine; `task` is its task's own setting. */
export function isQuarantined(policy: QuarantinePolicy, images: readonly string[], task = false): boolean {
  if (task) return true;
  return policy.repositories.length > 0 && images.some((image) => mayPushTo(policy.repositories, image, policy.defaultRegistry));
}
