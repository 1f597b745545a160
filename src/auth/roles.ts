// The three roles, after ACR's (AcrPull, AcrPush, Owner): each includes everything the one before it may do.
import type { Role } from '../contract/tokens.js';

const RANK: Record<Role, number> = { reader: 0, builder: 1, admin: 2 };

/** Whether a token of role `have` may do what needs `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}
