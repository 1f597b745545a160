// The dashboard's one way to the API: the /v1 routes, with the signed-in token in the Authorization header,
// every answer checked against the contract's schema (src/contract), the same shapes the server and CLI use.
import type * as z from '../src/zod-mini.js';
import { ApiError, ErrorBody } from '../src/contract/errors.js';

export { ApiError };

const TOKEN_KEY = 'slipway.token';
/** Fired when the API refuses the token (revoked, expired): the page goes back to its sign-in form. */
export const SIGNED_OUT_EVENT = 'slipway:signed-out';

/** The token: in this tab's sessionStorage, or localStorage when the user asked to stay signed in. Never in a URL. */
export function savedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function saveToken(token: string, remember: boolean): void {
  forgetToken();
  (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
}

export function authHeaders(token = savedToken()): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Turns an error answer into an ApiError; a 401 to the saved token also signs the page out. */
export async function answerError(res: Response, savedTokenSent = true): Promise<ApiError> {
  const body: unknown = await res.json().catch(() => undefined);
  const parsed = ErrorBody.safeParse(body);
  const err = parsed.success
    ? new ApiError(res.status, parsed.data.error.code, parsed.data.error.message)
    : new ApiError(res.status, 'http_error', `the API answered ${res.status} ${res.statusText}`);
  if (res.status === 401 && savedTokenSent) window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT, { detail: err.message }));
  return err;
}

type Schema = z.ZodMiniType;

async function call<S extends Schema>(method: string, path: string, schema: S, opts: { signal?: AbortSignal; token?: string } = {}): Promise<z.infer<S>> {
  const res = await fetch(path, { method, headers: { accept: 'application/json', ...authHeaders(opts.token) }, signal: opts.signal, cache: 'no-store' });
  if (!res.ok) throw await answerError(res, opts.token === undefined);
  return schema.parse(await res.json()) as z.infer<S>;
}

export function apiGet<S extends Schema>(path: string, schema: S, opts?: { signal?: AbortSignal; token?: string }): Promise<z.infer<S>> {
  return call('GET', path, schema, opts);
}

/** A POST without a body: the actions (cancel a run, run a task). */
export function apiAction<S extends Schema>(path: string, schema: S): Promise<z.infer<S>> {
  return call('POST', path, schema);
}

/** A path segment or query value, encoded. */
export const enc = encodeURIComponent;
