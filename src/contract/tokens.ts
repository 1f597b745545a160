// API tokens over HTTP: what the API answers (the request to create one is in requests.ts). The secret itself is
// answered once, at creation; afterwards only its name, role and scopes are ever shown.
import * as z from '../zod-mini.js';

export const ROLES = ['reader', 'builder', 'admin', 'scanner'] as const;
export type Role = (typeof ROLES)[number];

/** A token's name: what runs record as `requestedBy` and what `slipway token revoke` takes. */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
/** A repository or task pattern: `*` stands for any run of characters. */
export const SCOPE_PATTERN = /^[A-Za-z0-9*][A-Za-z0-9*._:/-]{0,254}$/;

/** A token as shown: never its secret or its hash. */
export const TokenInfo = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  /** Repositories it may push to; empty means any. */
  repositories: z.array(z.string()),
  /** Tasks it may act on; empty means any. */
  tasks: z.array(z.string()),
  createdAt: z.string(),
  expiresAt: z.optional(z.string()),
});
export type TokenInfo = z.infer<typeof TokenInfo>;

/** POST /v1/tokens: the answer carries the token once. */
export const TokenCreated = z.object({ ...TokenInfo.shape, token: z.string() });
export type TokenCreated = z.infer<typeof TokenCreated>;

export const TokenList = z.object({ tokens: z.array(TokenInfo) });
export type TokenList = z.infer<typeof TokenList>;

/** GET /v1/whoami: the token a request carried, as its role and scopes; what the dashboard shows and offers by. */
export const WhoAmI = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  repositories: z.array(z.string()),
  tasks: z.array(z.string()),
});
export type WhoAmI = z.infer<typeof WhoAmI>;
