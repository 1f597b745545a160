// The API's one gate: every request under /v1 is matched to its operation in the operation table
// (operations.ts), whose `access` says who may call it; a route with no operation is refused, so a new route
// cannot be served without declaring its role. Webhooks and public routes pass through: the webhooks check
// their own secrets.
import type { Request, RequestHandler, Response } from 'express';
import { AuthFailures } from '../auth/failures.js';
import { ForbiddenError } from '../auth/errors.js';
import { roleAllows } from '../auth/roles.js';
import type { TokenRecords } from '../auth/store.js';
import { verifyToken, type Principal } from '../auth/tokens.js';
import { isSlipwayError } from '../errors.js';
import type { Access, Operation } from './operations.js';
import { sendError } from './errors.js';

interface Rule {
  method: string;
  pattern: RegExp;
  access: Access;
}

export function accessRules(operations: readonly Pick<Operation, 'method' | 'path' | 'access'>[]): Rule[] {
  return operations.map((op) => ({
    method: op.method.toUpperCase(),
    // As express matches a route: any case, and a trailing slash or none. A stricter reading here would let
    // `POST /V1/TOKENS/` reach the admin route while being judged as an unknown path.
    pattern: new RegExp(`^${op.path.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}/?$`, 'i'),
    access: op.access,
  }));
}

/** The access an operation needs; undefined for a path under /v1 that no operation names (answered 404 after authentication). */
export function accessFor(rules: Rule[], method: string, path: string): Access | undefined {
  const find = (m: string) => rules.find((r) => r.method === m && r.pattern.test(path))?.access;
  // Express answers HEAD with the GET route.
  return find(method) ?? (method === 'HEAD' ? find('GET') : undefined);
}

export function authenticate(deps: { operations: readonly Operation[]; tokens: TokenRecords; failures: AuthFailures }): RequestHandler {
  const rules = accessRules(deps.operations);
  return (req, res, next) => {
    const path = req.path.toLowerCase();
    if (!path.startsWith('/v1/') && path !== '/v1') return next();
    const access = accessFor(rules, req.method, req.path);
    if (access === 'public' || access === 'webhook') return next();
    const need = access ?? 'reader';
    verifyToken(deps.tokens, bearer(req))
      .then((principal) => {
        if (!roleAllows(principal.role, need)) {
          throw new ForbiddenError(`token ${principal.name} has the role ${principal.role}; ${req.method} ${req.path} needs ${need}`, 'role_forbidden');
        }
        res.locals.principal = principal;
        next();
      })
      .catch(async (err: unknown) => {
        if (!isSlipwayError(err) || err.status !== 401) return next(err);
        const wait = await deps.failures.record(req.socket.remoteAddress ?? 'unknown');
        if (wait !== undefined) {
          res.setHeader('Retry-After', String(wait));
          return sendError(res, 429, 'too_many_failures', `too many requests with a missing or bad token from this address; try again in ${wait} s`);
        }
        sendError(res, err.status, err.code, err.message);
      })
      .catch(next);
  };
}

function bearer(req: Request): string | undefined {
  const header = req.get('authorization');
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}

/** Who asked, once authenticate() let the request through. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('no principal: the route is not behind authenticate()');
  return principal;
}
