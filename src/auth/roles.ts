// The roles, after ACR's (AcrPull, AcrPush, Owner, AcrQuarantineReader/Writer): reader < builder < admin,
// each including everything the one before it may do; and scanner, beside them, which reads and gives the
// quarantine's verdicts. A builder may not approve what it pushed: the gate would be no gate.
import type { Role } from '../contract/tokens.js';

const RANK: Record<Exclude<Role, 'scanner'>, number> = { reader: 0, builder: 1, admin: 2 };

/** Whether a token of role `have` may do what needs `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  if (need === 'scanner') return have === 'scanner' || have === 'admin';
  if (have === 'scanner') return need === 'reader';
  return RANK[have] >= RANK[need];
}
