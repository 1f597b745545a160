// The token server of the stack's token-auth registry (scripts/stack.sh starts it as a process): the realm of
// distribution's `auth: token` (https://distribution.github.io/distribution/spec/auth/token/). It checks Basic
// credentials (GET) or the OAuth2 password grant (POST, which BuildKit tries first) against bcrypt hashes, and
// signs an ES256 JWT for the scopes asked, with the signing certificate in the `x5c` header: distribution 2.8
// verifies that chain against its `rootcertbundle` (the stack's CA).
//
// Each user has a mode, so tests can reach the registry's failures through the real flow:
//   ok        a valid token for every scope asked;
//   expired   a well-signed token that expired an hour ago (the answer still claims five minutes);
//   untrusted a token signed by a key the registry does not trust;
//   reader    a valid token that grants `pull` alone, whatever else was asked.
// Anonymous requests and wrong passwords get 401, as Docker Hub's and ACR's realms answer.
//
// Usage: node --import tsx test/support/token-server.ts CONFIG.json
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type ServerOptions } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import bcrypt from 'bcryptjs';
import * as z from 'zod';

const configSchema = z.object({
  host: z.string(),
  port: z.number().int().min(1).max(65535),
  /** TLS of the realm itself. */
  certFile: z.string(),
  keyFile: z.string(),
  /** `iss` and `aud` (the registry's `service`) of every token; they must match the registry's config. */
  issuer: z.string(),
  service: z.string(),
  signing: z.object({ keyFile: z.string(), certFile: z.string() }),
  /** For `untrusted` users: a key and certificate the registry does not know. */
  untrustedSigning: z.object({ keyFile: z.string(), certFile: z.string() }),
  users: z.record(z.string(), z.object({ bcrypt: z.string(), mode: z.enum(['ok', 'expired', 'untrusted', 'reader']) })),
  tokenSeconds: z.number().int().positive().default(300),
});
type TokenServerConfig = z.infer<typeof configSchema>;

interface Signer {
  key: KeyObject;
  x5c: string[];
}

function loadSigner(files: { keyFile: string; certFile: string }): Signer {
  const pem = readFileSync(files.certFile, 'utf8');
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  return { key: createPrivateKey(readFileSync(files.keyFile)), x5c: certs.map((c) => new X509Certificate(c).raw.toString('base64')) };
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function signJwt(signer: Signer, claims: Record<string, unknown>): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: signer.x5c }));
  const payload = b64url(JSON.stringify(claims));
  // JWS wants ECDSA signatures as r||s, not DER.
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: signer.key, dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${b64url(signature)}`;
}

/** `repository:name:pull,push` → its access entry; the name may itself hold colons (`repository:host:5000/x:pull`). */
function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const text = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 64 * 1024) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

export function tokenServer(config: TokenServerConfig) {
  const trusted = loadSigner(config.signing);
  const untrusted = loadSigner(config.untrustedSigning);

  const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://realm');
    if (url.pathname !== '/token') return reply(res, 404, { error: 'not_found' });
    let creds: { username: string; password: string } | undefined;
    let params: URLSearchParams;
    if (req.method === 'GET') {
      params = url.searchParams;
      creds = basicCredentials(req.headers.authorization);
    } else if (req.method === 'POST') {
      params = await readForm(req);
      if (params.get('grant_type') !== 'password') return reply(res, 400, { error: 'unsupported_grant_type' });
      const username = params.get('username');
      const password = params.get('password');
      creds = username !== null && password !== null ? { username, password } : undefined;
    } else {
      return reply(res, 405, { error: 'method_not_allowed' });
    }
    const user = creds ? config.users[creds.username] : undefined;
    if (!creds || !user || !(await bcrypt.compare(creds.password, user.bcrypt))) {
      return reply(res, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Basic realm="slipway-token"' });
    }
    if (params.get('service') !== config.service) return reply(res, 400, { error: 'invalid_service' });

    const access = params
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .map(parseScope)
      .filter((s) => s !== undefined)
      .map((s) => (user.mode === 'reader' ? { ...s, actions: s.actions.filter((a) => a === 'pull') } : s));
    const now = Math.floor(Date.now() / 1000);
    const issuedAt = user.mode === 'expired' ? now - 7200 : now;
    const claims = {
      iss: config.issuer,
      sub: creds.username,
      aud: config.service,
      iat: issuedAt,
      nbf: issuedAt - 10,
      exp: user.mode === 'expired' ? now - 3600 : now + config.tokenSeconds,
      jti: randomBytes(16).toString('hex'),
      access,
    };
    const token = signJwt(user.mode === 'untrusted' ? untrusted : trusted, claims);
    const body = { token, access_token: token, expires_in: config.tokenSeconds, issued_at: new Date(now * 1000).toISOString() };
    reply(res, 200, body, { 'cache-control': 'no-store' });
  }

  const tls: ServerOptions = { cert: readFileSync(config.certFile), key: readFileSync(config.keyFile) };
  return createServer(tls, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) reply(res, 400, { error: 'bad_request' });
      else res.destroy();
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: token-server.ts CONFIG.json');
  const config = configSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  const server = tokenServer(config);
  server.listen(config.port, config.host, () => console.log(`token server listening on https://${config.host}:${config.port}/token`));
  // Nothing to finish: a token being written is one the client asks for again.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0));
}
