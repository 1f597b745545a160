// Issuing and checking tokens: the rules between the HTTP layer and the store.
import type { Role, TokenCreated, TokenInfo } from '../contract/tokens.js';
import { TokenCreate as TokenCreateSchema, TokenUpdate, type TokenCreate } from '../contract/requests.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { UnauthenticatedError } from './errors.js';
import { hashToken, looksLikeToken, newTokenSecret, sameHash } from './secret.js';
import { info, type TokenChange, type TokenRecord, type TokenRecords, type TokenStore } from './store.js';

/** Who is asking: the token's name, role and scopes. */
export interface Principal {
  name: string;
  role: Role;
  repositories: string[];
  tasks: string[];
}

export const LOGIN_HINT = 'run `slipway login` (or set SLIPWAY_TOKEN) with a token from `slipway token create`';

/** The principal a bearer token stands for; throws UnauthenticatedError for an unknown, revoked or expired one. */
export async function verifyToken(tokens: TokenRecords, token: string | undefined, now = Date.now()): Promise<Principal> {
  if (!token) throw new UnauthenticatedError(`this API needs a token: ${LOGIN_HINT}`);
  const hash = hashToken(token);
  const record = looksLikeToken(token) ? await tokens.byHash(hash) : undefined;
  if (!record || !sameHash(record.hash, hash)) throw new UnauthenticatedError(`the token is not valid (unknown or revoked): ${LOGIN_HINT}`);
  if (record.expiresAt && Date.parse(record.expiresAt) <= now) throw new UnauthenticatedError(`the token ${record.name} expired at ${record.expiresAt}: ${LOGIN_HINT}`);
  return { name: record.name, role: record.role, repositories: record.repositories, tasks: record.tasks };
}

/** Creates a token; its secret is in the answer and nowhere else. */
export async function issueToken(store: TokenStore, body: unknown, now = new Date()): Promise<TokenCreated> {
  const req = TokenCreateSchema.parse(body);
  const token = newTokenSecret();
  const record: TokenRecord = {
    name: req.name,
    role: req.role,
    repositories: req.repositories,
    tasks: req.tasks,
    createdAt: now.toISOString(),
    ...(req.expiresInDays ? { expiresAt: daysFrom(now, req.expiresInDays) } : {}),
    hash: hashToken(token),
  };
  if (!(await store.create(record))) throw new ConflictError(`a token named ${req.name} exists; revoke it first or choose another name`, 'token_exists');
  return { ...info(record), token };
}

const noSuchToken = (name: string) => new NotFoundError(`no token named ${JSON.stringify(name.slice(0, 64))}`, 'token_not_found');
const daysFrom = (now: Date, days: number) => new Date(now.getTime() + days * 86_400_000).toISOString();

/**
 * Changes a token's role, scopes or expiry; every API instance applies the change from the token's next request
 * (the store announces it as it writes it). The secret stays: a client holding the token keeps it.
 */
export async function updateToken(store: TokenStore, name: string, body: unknown, now = new Date()): Promise<TokenInfo> {
  const req = TokenUpdate.parse(body);
  const change: TokenChange = {
    ...(req.role !== undefined ? { role: req.role } : {}),
    ...(req.repositories !== undefined ? { repositories: req.repositories } : {}),
    ...(req.tasks !== undefined ? { tasks: req.tasks } : {}),
    ...(req.expiresInDays !== undefined ? { expiresAt: req.expiresInDays === null ? undefined : daysFrom(now, req.expiresInDays) } : {}),
  };
  const updated = await store.update(name, change);
  if (!updated) throw noSuchToken(name);
  return updated;
}

export async function revokeToken(store: TokenStore, name: string): Promise<void> {
  if (!(await store.revoke(name))) throw noSuchToken(name);
}

export type { TokenCreate };
