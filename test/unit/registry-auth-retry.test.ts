// The Bearer/Basic flow and the retry behaviour of RegistryClient, against a tiny local HTTP server
// standing in for a token server and a flaky registry (the real registry is in test/integration).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { SecretMasker } from '../../src/log.js';
import { RegistryClient } from '../../src/registry/client.js';
import { isRegistryError, RegistryError } from '../../src/registry/errors.js';
import type { ImageReference } from '../../src/registry/reference.js';

const DIGEST = 'sha256:' + 'e'.repeat(64);
const USER = 'builder';
const PASSWORD = 'correct-horse-battery';
const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
}

interface FakeServer {
  registry: string;
  origin: string;
  seen: Seen[];
  close(): Promise<void>;
}

const servers: FakeServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, server: FakeServer) => void): Promise<FakeServer> {
  const seen: Seen[] = [];
  const fake = {} as FakeServer;
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    req.resume();
    req.on('end', () => handler(req, res, fake));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(fake, {
    registry: `127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  servers.push(fake);
  return fake;
}

function manifestHead(res: ServerResponse): void {
  res.writeHead(200, {
    'docker-content-digest': DIGEST,
    'content-type': 'application/vnd.oci.image.manifest.v1+json',
    'content-length': '512',
  });
  res.end();
}

const ref = (server: FakeServer, repository = 'team/app'): ImageReference => ({ registry: server.registry, repository, tag: 'v1' });
const fast = { attempts: 3, baseDelayMs: 5 };

/** A registry demanding Bearer tokens from its own /token endpoint, which wants USER/PASSWORD. */
async function bearerRegistry(opts: { expiresIn?: number; rotate?: boolean; authorized?: (req: IncomingMessage, res: ServerResponse) => void } = {}) {
  const issued: string[] = [];
  const tokenQueries: URLSearchParams[] = [];
  const server = await serve((req, res, self) => {
    const url = new URL(req.url ?? '/', self.origin);
    if (url.pathname === '/token') {
      tokenQueries.push(url.searchParams);
      if (req.headers.authorization !== basic(USER, PASSWORD)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      const token = `tok-${issued.length}-${Math.random().toString(36).slice(2)}`;
      issued.push(token);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: opts.expiresIn ?? 300 }));
      return;
    }
    const valid = opts.rotate ? issued.slice(-1) : issued;
    if (!valid.some((t) => req.headers.authorization === `Bearer ${t}`)) {
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="${self.origin}/token",service="fake-registry",scope="repository:team/app:pull"`,
        'content-type': 'application/json',
      });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    (opts.authorized ?? ((_req, r) => manifestHead(r)))(req, res);
  });
  return { server, issued, tokenQueries };
}

describe('Bearer token flow', () => {
  it('gets a token for the call scope, caches it, and registers it for masking', async () => {
    const { server, issued, tokenQueries } = await bearerRegistry();
    const masker = new SecretMasker();
    const client = new RegistryClient({ credentials: () => ({ username: USER, password: PASSWORD }), masker, retry: fast });

    const head = await client.headManifest(ref(server));
    assert.deepEqual(head, { digest: DIGEST, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 512 });
    assert.equal(issued.length, 1);
    assert.equal(tokenQueries[0]?.get('service'), 'fake-registry');
    assert.deepEqual(tokenQueries[0]?.getAll('scope'), ['repository:team/app:pull']);
    assert.equal(masker.mask(`leaked ${issued[0]}`), 'leaked ***');
    assert.equal(masker.mask(`leaked ${PASSWORD}`), 'leaked ***');

    // Cached: a second pull of the same repository asks the token server nothing and eats no 401.
    const before = server.seen.length;
    await client.headManifest(ref(server));
    assert.equal(issued.length, 1);
    assert.equal(server.seen.length, before + 1);

    // Another scope gets its own token, without a wasted 401 (the challenge is remembered).
    await client.headManifest(ref(server, 'team/other'));
    assert.equal(issued.length, 2);
    assert.deepEqual(tokenQueries[1]?.getAll('scope'), ['repository:team/other:pull']);
    assert.equal(server.seen.filter((s) => s.url.startsWith('/v2/team/other')).length, 1);
  });

  it('replaces a cached token the registry refuses', async () => {
    const { server, issued } = await bearerRegistry({ rotate: true });
    const client = new RegistryClient({ credentials: () => ({ username: USER, password: PASSWORD }), retry: fast });
    await client.headManifest(ref(server));
    // A second client's token revokes ours (rotate: only the newest is valid).
    await new RegistryClient({ credentials: () => ({ username: USER, password: PASSWORD }), retry: fast }).headManifest(ref(server));
    assert.equal(issued.length, 2);
    assert.ok(await client.headManifest(ref(server)));
    assert.equal(issued.length, 3);
  });

  it('uses no token fetched with a login that is gone or changed since (a logout ends access at once)', async () => {
    const { server, issued } = await bearerRegistry();
    let login: { username: string; password: string } | undefined = { username: USER, password: PASSWORD };
    const client = new RegistryClient({ credentials: () => login, retry: fast });
    assert.ok(await client.headManifest(ref(server)));
    login = undefined;
    await assert.rejects(client.headManifest(ref(server)), (e: unknown) => e instanceof RegistryError && e.status === 401 && /anonymous access/.test(e.message));
    login = { username: USER, password: 'another-password' };
    await assert.rejects(client.headManifest(ref(server)), (e: unknown) => e instanceof RegistryError && /refused the credentials of builder/.test(e.message));
    assert.equal(issued.length, 1, 'no token was issued for a wrong login');
    login = { username: USER, password: PASSWORD };
    assert.ok(await client.headManifest(ref(server)));
  });

  it('wrong password: RegistryError 401 naming the operation, with no secret in it', async () => {
    const { server } = await bearerRegistry();
    const masker = new SecretMasker();
    const client = new RegistryClient({ credentials: () => ({ username: USER, password: 'wrong-password' }), masker, retry: fast });
    const err = await client.headManifest(ref(server)).then(
      () => assert.fail('expected a RegistryError'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RegistryError);
    assert.ok(isRegistryError(err));
    assert.equal(err.status, 401);
    assert.equal(err.code, 'registry_unauthorized');
    assert.equal(err.operation, 'headManifest');
    assert.equal(err.registry, server.registry);
    assert.equal(err.retryable, false);
    assert.match(err.message, /headManifest 127\.0\.0\.1:\d+\/team\/app: token server .* refused the credentials of builder/);
    assert.ok(!err.message.includes('wrong-password'));
    assert.ok(!err.message.includes(Buffer.from(`${USER}:wrong-password`).toString('base64')));
  });

  it('no credentials: asks for an anonymous token, and a refusal is a 401', async () => {
    const { server, tokenQueries } = await bearerRegistry();
    const client = new RegistryClient({ retry: fast });
    await assert.rejects(client.headManifest(ref(server)), (e: unknown) => e instanceof RegistryError && e.status === 401 && /anonymous access/.test(e.message));
    assert.equal(tokenQueries.length, 1);
    assert.equal(server.seen.find((s) => s.url.startsWith('/token'))?.authorization, undefined);
  });
});

describe('Basic flow', () => {
  const basicRegistry = () =>
    serve((req, res) => {
      if (req.headers.authorization !== basic(USER, PASSWORD)) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
        return;
      }
      manifestHead(res);
    });

  it('answers the challenge with the credentials, then sends them up front', async () => {
    const server = await basicRegistry();
    const client = new RegistryClient({ credentials: () => ({ username: USER, password: PASSWORD }), retry: fast });
    assert.ok(await client.headManifest(ref(server)));
    assert.ok(await client.headManifest(ref(server)));
    assert.deepEqual(
      server.seen.map((s) => s.authorization),
      [undefined, basic(USER, PASSWORD), basic(USER, PASSWORD)],
    );
  });

  it('wrong or missing credentials are a 401 outcome, not retried', async () => {
    const server = await basicRegistry();
    for (const [credentials, reason] of [
      [() => ({ username: USER, password: 'nope' }), /HTTP 401 unauthorized: the registry refused the login it was sent$/],
      [() => undefined, /HTTP 401 unauthorized: the registry asks for a login, and none is stored for 127\.0\.0\.1:\d+$/],
    ] as const) {
      const client = new RegistryClient({ credentials, retry: fast });
      await assert.rejects(client.headManifest(ref(server)), (e: unknown) => e instanceof RegistryError && e.status === 401 && reason.test(e.message) && !e.message.includes('nope'));
    }
    // wrong: challenge + one try with credentials; missing: the challenge only
    assert.equal(server.seen.length, 3);
  });
});

describe('retries', () => {
  it('retries 503 and succeeds', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      if (++calls < 3) res.writeHead(503).end();
      else manifestHead(res);
    });
    const client = new RegistryClient({ retry: fast });
    assert.equal((await client.headManifest(ref(server)))?.digest, DIGEST);
    assert.equal(calls, 3);
  });

  it('honours Retry-After on 429', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      if (++calls === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else manifestHead(res);
    });
    const start = Date.now();
    assert.ok(await new RegistryClient({ retry: fast }).headManifest(ref(server)));
    assert.ok(Date.now() - start >= 950, `waited only ${Date.now() - start} ms`);
  });

  it('gives up after the attempts with the last status, marked retryable', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNKNOWN","message":"storage on fire"}]}');
    });
    const err = await new RegistryClient({ retry: fast }).getManifest(ref(server)).catch((e: unknown) => e);
    assert.ok(err instanceof RegistryError);
    assert.equal(err.status, 500);
    assert.equal(err.retryable, true);
    // The registry's error code, never its message: a remote's text does not reach an error.
    assert.match(err.message, /getManifest .*team\/app: HTTP 500 UNKNOWN$/);
    assert.equal(server.seen.length, 3);
  });

  it('404 is an outcome: undefined from headManifest, asked once', async () => {
    const server = await serve((_req, res) => res.writeHead(404).end());
    assert.equal(await new RegistryClient({ retry: fast }).headManifest(ref(server)), undefined);
    assert.equal(server.seen.length, 1);
  });

  it('403 is an outcome, not retried', async () => {
    const server = await serve((_req, res) => res.writeHead(403).end('{"errors":[{"code":"DENIED","message":"no"}]}'));
    await assert.rejects(new RegistryClient({ retry: fast }).getManifest(ref(server)), (e: unknown) => e instanceof RegistryError && e.status === 403 && e.code === 'registry_denied');
    assert.equal(server.seen.length, 1);
  });

  it('a registry that is not there: 503 after the attempts', async () => {
    const server = await serve((_req, res) => res.end());
    await server.close();
    const err = await new RegistryClient({ retry: fast }).headManifest(ref(server)).catch((e: unknown) => e);
    assert.ok(err instanceof RegistryError);
    assert.equal(err.status, 503);
    assert.equal(err.retryable, true);
    assert.match(err.message, /unreachable after 3 attempts \(ECONNREFUSED\)/);
  });

  it('a registry that does not answer: times out, retries, then 503', async () => {
    const server = await serve(() => undefined);
    const err = await new RegistryClient({ retry: { attempts: 2, baseDelayMs: 5 }, timeoutMs: 150 }).headManifest(ref(server)).catch((e: unknown) => e);
    assert.ok(err instanceof RegistryError);
    assert.equal(err.status, 503);
    assert.match(err.message, /no answer within 150 ms/);
    assert.equal(server.seen.length, 2);
  });
});

describe('secrets', () => {
  it('masks a token the registry echoes back in an error', async () => {
    const { server, issued } = await bearerRegistry({
      authorized: (req, res) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'BAD', message: `you sent ${req.headers.authorization}` }] }));
      },
    });
    const client = new RegistryClient({ credentials: () => ({ username: USER, password: PASSWORD }), retry: fast });
    const err = await client.getManifest(ref(server)).catch((e: unknown) => e);
    assert.ok(err instanceof RegistryError);
    assert.equal(err.status, 400);
    assert.equal(issued.length, 1);
    assert.match(err.message, /HTTP 400 BAD$/);
    assert.ok(!err.message.includes(issued[0]!));
  });

  it('does not send credentials to an upload Location on another origin', async () => {
    const storage = await serve((_req, res) => res.writeHead(201, { 'docker-content-digest': '' }).end());
    const registry = await serve((req, res) => {
      if (req.headers.authorization !== basic(USER, PASSWORD)) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
      } else if (req.method === 'HEAD') {
        res.writeHead(404).end();
      } else {
        res.writeHead(202, { location: `${storage.origin}/upload/abc?sig=1` }).end();
      }
    });
    const client = new RegistryClient({ credentials: () => ({ username: USER, password: PASSWORD }), retry: fast });
    await client.pushBlob(ref(registry), Buffer.from('hello'));
    assert.equal(storage.seen.length, 1);
    assert.equal(storage.seen[0]?.authorization, undefined);
    assert.match(storage.seen[0]?.url ?? '', /^\/upload\/abc\?sig=1&digest=sha256%3A[0-9a-f]{64}$/);
  });
});
