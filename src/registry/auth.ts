// The WWW-Authenticate → credentials/token flow, in one place. A 401 names the scheme: Basic gets the
// registry's credentials, Bearer sends us to the realm for a token for exactly the scopes the call needs
// (https://distribution.github.io/distribution/spec/auth/token/). Tokens are cached per (registry, scopes,
// login) until shortly before they expire, and registered with the masker the moment they are received: a
// token fetched with a login that has since been removed or changed is not used again.
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { SecretMasker } from '../log.js';
import { discard, type RegistryHttp, type RegistryRequest } from './http.js';
import { parseWwwAuthenticate, type AuthChallenge } from './www-authenticate.js';

export interface Credentials {
  username: string;
  password: string;
}

export type CredentialsProvider = (registry: string) => Credentials | undefined | Promise<Credentials | undefined>;

export interface RegistryAuthOptions {
  credentials?: CredentialsProvider;
  masker: SecretMasker;
  now?: () => number;
}

/** `repository:<name>:<actions>`, the resource scope of the token spec. */
export function repositoryScope(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

// https://distribution.github.io/distribution/spec/auth/token/#token-response-fields
const tokenResponseSchema = z
  .object({
    token: z.string().regex(/^[\x21-\x7e]+$/, 'token is not printable ASCII').optional(),
    access_token: z.string().regex(/^[\x21-\x7e]+$/, 'token is not printable ASCII').optional(),
    expires_in: z.number().positive().optional(),
  })
  .refine((t) => t.token !== undefined || t.access_token !== undefined, { message: 'no token in the answer' });

/** The spec's default when the token server does not say. */
const DEFAULT_TOKEN_SECONDS = 60;
const MAX_CACHED_TOKENS = 1000;

export class RegistryAuth {
  /** The last challenge each registry answered with, so later calls authorise up front instead of eating a 401. */
  private readonly challenges = new Map<string, AuthChallenge>();
  private readonly tokens = new Map<string, { header: string; expiresAt: number }>();
  private readonly pending = new Map<string, Promise<string>>();
  private readonly now: () => number;

  constructor(
    private readonly http: RegistryHttp,
    private readonly opts: RegistryAuthOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Sends `req` with the authorisation the registry asks for. A 401 comes back only when it cannot be satisfied. */
  async send(req: RegistryRequest, scopes: readonly string[]): Promise<Response> {
    const known = this.challenges.get(req.registry);
    const sent = known ? await this.authorize(req, scopes, known) : undefined;
    const res = await this.http.send(req, sent);
    if (res.status !== 401) return res;

    const challenge = pickChallenge(parseWwwAuthenticate(res.headers.get('www-authenticate') ?? ''));
    if (!challenge) return res;
    this.challenges.set(req.registry, challenge);
    // What we sent was refused: an expired or revoked token, or wrong Basic credentials.
    if (sent) this.forgetTokens(req.registry, scopes);
    const fresh = await this.authorize(req, scopes, challenge);
    // A Basic registry refusing no login, or the one it was just sent: a bare 401 would not say which.
    if (challenge.scheme === 'basic' && (fresh === undefined || fresh === sent)) {
      await discard(res);
      throw this.basicRefusal(req, fresh !== undefined);
    }
    if (fresh === undefined || fresh === sent) return res;
    await discard(res);
    const retried = await this.http.send(req, fresh);
    if (retried.status !== 401) return retried;
    await discard(retried);
    if (challenge.scheme === 'basic') throw this.basicRefusal(req, true);
    // A token just issued and still refused: say why, as far as the registry tells, rather than a bare 401.
    this.forgetTokens(req.registry, scopes);
    const again = pickChallenge(parseWwwAuthenticate(retried.headers.get('www-authenticate') ?? ''));
    const realm = hostOf(challenge.params['realm']);
    const reason =
      again?.params['error'] === 'insufficient_scope'
        ? `the token from ${realm} does not grant ${scopes.join(' ')}`
        : `the registry refused the token from ${realm} (expired, or signed by a key the registry does not trust)`;
    throw this.http.error(req, 401, reason, { retryable: false });
  }

  private basicRefusal(req: RegistryRequest, loginSent: boolean): Error {
    const reason = loginSent ? 'the registry refused the login it was sent' : `the registry asks for a login, and none is stored for ${req.registry}`;
    return this.http.error(req, 401, `HTTP 401 unauthorized: ${reason}`, { retryable: false });
  }

  private async authorize(req: RegistryRequest, scopes: readonly string[], challenge: AuthChallenge): Promise<string | undefined> {
    if (challenge.scheme === 'basic') {
      const creds = await this.credentials(req.registry);
      return creds ? basicHeader(creds, this.opts.masker) : undefined;
    }
    if (challenge.scheme !== 'bearer') return undefined;

    // Checked before the login is even looked up, so a realm this client would not contact never gets near one.
    const url = this.realmOf(req, challenge);
    const creds = await this.credentials(req.registry);
    const key = tokenKey(req.registry, scopes, creds);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.header;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.fetchToken(req, scopes, challenge, url, creds, key).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  private realmOf(req: RegistryRequest, challenge: AuthChallenge): URL {
    let url: URL;
    try {
      url = new URL(challenge.params['realm'] ?? '');
    } catch {
      throw this.http.error(req, 401, 'Bearer challenge without a usable realm', { retryable: false });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw this.http.error(req, 401, `token realm has scheme ${url.protocol}`);
    // The registry names the realm: it must not send us (with the registry's credentials) to a host we would not contact.
    this.http.checkHost(req, url);
    return url;
  }

  private async fetchToken(req: RegistryRequest, scopes: readonly string[], challenge: AuthChallenge, url: URL, creds: Credentials | undefined, key: string): Promise<string> {
    const service = challenge.params['service'];
    if (service) url.searchParams.set('service', service);
    for (const scope of scopes) url.searchParams.append('scope', scope);

    const tokenReq: RegistryRequest = { ...req, method: 'GET', url: url.toString(), headers: { accept: 'application/json' }, authorizeForeignOrigin: true };
    delete tokenReq.body;
    const res = await this.http.send(tokenReq, creds ? basicHeader(creds, this.opts.masker) : undefined);
    if (res.status === 401 || res.status === 403) {
      await discard(res);
      const who = creds ? `the credentials of ${creds.username}` : 'anonymous access';
      throw this.http.error(req, res.status, `token server ${url.host} refused ${who} (HTTP ${res.status})`);
    }
    if (!res.ok) throw await this.http.unexpected(res, { ...tokenReq, operation: `${req.operation} (token)` });

    const body = await this.http.readBody(res, tokenReq, 1024 * 1024);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw this.http.invalidResponse(req, `token server ${url.host} answered something other than JSON`);
    }
    // Masked before anything else looks at it, including the validation error below.
    if (typeof json === 'object' && json !== null) {
      for (const field of ['token', 'access_token', 'refresh_token']) {
        const value = (json as Record<string, unknown>)[field];
        if (typeof value === 'string') this.opts.masker.add(value);
      }
    }
    const parsed = tokenResponseSchema.safeParse(json);
    if (!parsed.success) throw this.http.invalidResponse(req, `token server ${url.host}: ${parsed.error.issues[0]?.message ?? 'bad answer'}`);

    const header = `Bearer ${parsed.data.token ?? parsed.data.access_token}`;
    const lifetimeMs = (parsed.data.expires_in ?? DEFAULT_TOKEN_SECONDS) * 1000;
    // Renewed at 90% of its life, so a token does not expire between the check and the registry reading it.
    this.remember(key, { header, expiresAt: this.now() + lifetimeMs * 0.9 });
    return header;
  }

  /** Drops the tokens for these scopes, whichever login they were fetched with. */
  private forgetTokens(registry: string, scopes: readonly string[]): void {
    const prefix = tokenKey(registry, scopes, undefined).slice(0, -1);
    // The login part has no space: a key for more scopes than these is not one of them.
    for (const key of this.tokens.keys()) if (key.startsWith(prefix) && !key.includes(' ', prefix.length)) this.tokens.delete(key);
  }

  private remember(key: string, entry: { header: string; expiresAt: number }): void {
    if (this.tokens.size >= MAX_CACHED_TOKENS) {
      const now = this.now();
      for (const [k, v] of this.tokens) if (v.expiresAt <= now) this.tokens.delete(k);
      const oldest = this.tokens.keys().next();
      if (this.tokens.size >= MAX_CACHED_TOKENS && !oldest.done) this.tokens.delete(oldest.value);
    }
    this.tokens.set(key, entry);
  }

  private async credentials(registry: string): Promise<Credentials | undefined> {
    const creds = await this.opts.credentials?.(registry);
    this.opts.masker.add(creds?.password);
    return creds;
  }
}

/** Bearer when offered (it scopes access), else Basic, else none we speak. */
function pickChallenge(challenges: AuthChallenge[]): AuthChallenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}

function hostOf(url: string | undefined): string {
  try {
    return new URL(url ?? '').host;
  } catch {
    return 'the token server';
  }
}

function basicHeader(creds: Credentials, masker: SecretMasker): string {
  const encoded = Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64');
  masker.add(encoded);
  return `Basic ${encoded}`;
}

/**
 * Where a token is cached: its registry and scopes, and the login it was fetched with (`-` for none), as a hash
 * that is never shown, so that no password sits in a key.
 */
function tokenKey(registry: string, scopes: readonly string[], creds: Credentials | undefined): string {
  const login = creds ? createHash('sha256').update(`${creds.username}\0${creds.password}`).digest('base64url') : '';
  return `${registry} ${[...scopes].sort().join(' ')} ${login || '-'}`;
}
