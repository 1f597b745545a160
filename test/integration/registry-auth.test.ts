// The registry client and the Docker Engine against the stack's registries that need a login: htpasswd over
// TLS (127.0.0.1:5443) and token auth (127.0.0.1:5444, realm test/support/token-server.ts), both with
// certificates from the stack's CA. Every failure must name the registry and never show a secret.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import type { CredentialsProvider } from '../../src/registry/auth.js';
import { RegistryClient, type RegistryClientOptions } from '../../src/registry/client.js';
import { isRegistryError, type RegistryError } from '../../src/registry/errors.js';
import { MediaTypes } from '../../src/registry/manifests.js';
import type { ImageReference } from '../../src/registry/reference.js';
import { RegistryTls, type RegistryTlsSettings } from '../../src/registry/tls.js';
import { registryFetch } from '../../src/registry/transport.js';
import { DockerEngine } from '../../workers/builder/docker/docker-engine.js';
import { authRegistries, certsDir } from '../support/auth-registries.js';
import { REGISTRY } from '../support/stack.js';

const regs = authRegistries();
const realmHost = new URL(regs.token.realm).host;
const OPEN_BASE: ImageReference = { registry: REGISTRY, repository: 'base/busybox', tag: 'amd64' };
const allowPrivate = { allowPrivateHosts: true, trusted: [] };
const repoName = (kind: string) => `slipway-test/${kind}-${randomBytes(4).toString('hex')}`;

let certs: Awaited<ReturnType<typeof certsDir>>;
/** certs.d for the two registries; the realm is trusted through the CA file, the other route a CA takes. */
const tlsSettings = (): RegistryTlsSettings => ({ certsDir: certs.dir, caFile: regs.caFile, insecure: [] });
const client = (opts: RegistryClientOptions = {}) =>
  new RegistryClient({ tls: tlsSettings(), hostPolicy: allowPrivate, retry: { attempts: 2, baseDelayMs: 10 }, ...opts });

/** Copies the stack's busybox base into `to` (a private base), returns its manifest digest. */
async function copyBase(to: RegistryClient, ref: ImageReference): Promise<string> {
  const open = new RegistryClient();
  const manifest = await open.getManifest(OPEN_BASE);
  if (manifest.mediaType !== MediaTypes.dockerManifest && manifest.mediaType !== MediaTypes.ociManifest) throw new Error('base is not an image manifest');
  for (const digest of [manifest.body.config.digest, ...manifest.body.layers.map((l) => l.digest)]) {
    await to.pushBlob(ref, await open.getBlob(OPEN_BASE, digest, 64 * 1024 * 1024));
  }
  return to.putManifest(ref, manifest.raw, manifest.mediaType);
}

/** The error `promise` rejects with, which must be a RegistryError naming `registry` and showing no secret. */
async function refusal(promise: Promise<unknown>, registry: string): Promise<RegistryError> {
  const err = await promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(isRegistryError(err), `not a RegistryError: ${String(err)}`);
  assert.equal(err.registry, registry);
  assert.match(err.message, new RegExp(registry.replace(/[.]/g, '\\.')));
  assert.ok(!err.message.includes(regs.password), 'the password is in the message');
  assert.ok(!/eyJ[A-Za-z0-9_-]{10,}/.test(err.message), 'a token is in the message');
  assert.ok(!err.message.includes(Buffer.from(`${regs.token.username}:${regs.password}`).toString('base64')), 'the Basic header is in the message');
  return err;
}

before(async () => {
  certs = await certsDir(regs.caFile, [regs.tls.registry, regs.token.registry]);
});
after(async () => certs.remove());

for (const kind of ['tls', 'token'] as const) {
  const registry = regs[kind].registry;
  const login = regs.login(registry, regs[kind].username);

  describe(`the ${kind === 'tls' ? 'htpasswd-over-TLS' : 'token-auth'} registry ${registry}`, () => {
    const ref: ImageReference = { registry, repository: repoName(`private-base-${kind}`), tag: 'v1' };
    const pushed: string[] = [];
    after(async () => {
      const c = client({ credentials: login });
      for (const digest of pushed.reverse()) await c.deleteManifest(ref, digest).catch(() => undefined);
    });

    it('a private base: pushed with a login, its digest read back, an index assembled over it', async () => {
      const c = client({ credentials: login });
      const digest = await copyBase(c, ref);
      pushed.push(digest);
      assert.equal((await c.headManifest(ref))?.digest, digest);

      const image = await c.getManifest({ ...ref, digest });
      const entry = { mediaType: image.mediaType, digest, size: image.raw.length, platform: { os: 'linux', architecture: 'amd64' } };
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [entry] }));
      const indexRef = { ...ref, tag: 'multi' };
      const indexDigest = await c.putManifest(indexRef, index, MediaTypes.ociIndex);
      pushed.push(indexDigest);
      const read = await c.getManifest(indexRef);
      assert.equal(read.digest, indexDigest);
      assert.equal(read.mediaType, MediaTypes.ociIndex);
    });

    it('no login: refused with 401, naming the registry', async () => {
      const err = await refusal(client().headManifest(ref), registry);
      assert.equal(err.status, 401);
    });

    it('a wrong password: refused, naming the registry, the password nowhere', async () => {
      const wrong = `wrong-${regs.password}`;
      const err = await refusal(client({ credentials: regs.login(registry, regs[kind].username, wrong) }).headManifest(ref), registry);
      assert.equal(err.status, 401);
      assert.ok(!err.message.includes(wrong));
    });

    it('a certificate from an unknown CA: refused at once, naming the host and where its CA goes', async () => {
      const other = await otherCa();
      const wrongCerts = await certsDir(other.caFile, [registry]);
      try {
        const c = new RegistryClient({ tls: { certsDir: wrongCerts.dir, insecure: [] }, hostPolicy: allowPrivate, credentials: login });
        const err = await refusal(c.headManifest(ref), registry);
        assert.equal(err.code, 'registry_tls');
        assert.match(err.message, /not signed by a trusted CA/);
        assert.ok(err.message.includes(path.join(wrongCerts.dir, registry, 'ca.crt')), err.message);
      } finally {
        await wrongCerts.remove();
        await other.remove();
      }
    });
  });
}

describe('the token flow', () => {
  const registry = regs.token.registry;
  const ref: ImageReference = { registry, repository: repoName('token-flow'), tag: 'v1' };
  const login = regs.login(registry, regs.token.username);
  let digest: string;
  before(async () => {
    digest = await copyBase(client({ credentials: login }), ref);
  });
  after(async () => {
    await client({ credentials: login }).deleteManifest(ref, digest);
  });

  it('fetches one token per scope and reuses it until it expires', async () => {
    const realmCalls: string[] = [];
    const transport = registryFetch(new RegistryTls(tlsSettings()));
    const counting: typeof fetch = (input, init) => {
      const url = new URL(String(input));
      if (url.host === realmHost) realmCalls.push(url.searchParams.getAll('scope').join(' '));
      return transport(input, init);
    };
    let now = Date.now();
    const c = client({ credentials: login, fetch: counting, now: () => now });
    for (let i = 0; i < 5; i++) assert.equal((await c.headManifest(ref))?.digest, digest);
    const image = await c.getManifest(ref);
    assert.ok('config' in image.body, 'the base is an image manifest');
    await c.getBlob(ref, image.body.config.digest);
    assert.deepEqual(realmCalls, [`repository:${ref.repository}:pull`]);
    // The stack's tokens live 300 s; one asked for after that is fetched anew.
    now += 301_000;
    await c.headManifest(ref);
    assert.equal(realmCalls.length, 2);
  });

  it('an expired token: refused with 401, naming the registry, no token shown', async () => {
    const err = await refusal(client({ credentials: regs.login(registry, regs.token.expiredUser) }).headManifest(ref), registry);
    assert.equal(err.status, 401);
    assert.match(err.message, new RegExp(`refused the token from ${realmHost.replace(/[.]/g, '\\.')}`));
  });

  it('a token the registry does not trust (it answers 401 to what the realm gave)', async () => {
    const err = await refusal(client({ credentials: regs.login(registry, regs.token.untrustedUser) }).headManifest(ref), registry);
    assert.equal(err.status, 401);
    assert.match(err.message, /refused the token/);
  });

  it('a token without the scope a push needs: refused, saying which scope is missing', async () => {
    const reader = client({ credentials: regs.login(registry, regs.token.readerUser) });
    assert.equal((await reader.headManifest(ref))?.digest, digest);
    const err = await refusal(reader.pushBlob(ref, randomBytes(64)), registry);
    assert.equal(err.status, 401);
    assert.match(err.message, new RegExp(`does not grant repository:${ref.repository}:pull,push`));
  });

  it('a credential for another host: the realm is asked anonymously and refuses', async () => {
    const err = await refusal(client({ credentials: regs.login(regs.tls.registry) }).headManifest(ref), registry);
    assert.equal(err.status, 401);
    assert.match(err.message, /anonymous access/);
  });

  it('a realm on a private address is refused before any credential is sent, like a git URL would be', async () => {
    const asked: string[] = [];
    const credentials: CredentialsProvider = (r) => {
      asked.push(r);
      return login(r);
    };
    const c = client({ credentials, hostPolicy: { allowPrivateHosts: false, trusted: [registry] } });
    const err = await refusal(c.headManifest(ref), registry);
    assert.equal(err.code, 'registry_host_refused');
    assert.ok(err.message.includes(realmHost), err.message);
    assert.deepEqual(asked, []);
  });

  it("the realm is checked with its registry's certs.d CA, as the Engine checks it", async () => {
    const c = new RegistryClient({ tls: { certsDir: certs.dir, insecure: [] }, hostPolicy: allowPrivate, credentials: login });
    assert.equal((await c.headManifest(ref))?.digest, digest);
  });

  it('a CA file alone: HTTPS to the registry and its realm', async () => {
    const empty = await certsDir(regs.caFile, []);
    try {
      const c = new RegistryClient({ tls: { certsDir: empty.dir, caFile: regs.caFile, insecure: [] }, hostPolicy: allowPrivate, credentials: login });
      assert.equal((await c.headManifest(ref))?.digest, digest);
    } finally {
      await empty.remove();
    }
  });
});

describe('the open registry through the same transport', () => {
  it('stays plain HTTP on loopback and answers as with fetch', async () => {
    const viaTransport = await client().headManifest(OPEN_BASE);
    const viaFetch = await new RegistryClient().headManifest(OPEN_BASE);
    assert.ok(viaTransport);
    assert.deepEqual(viaTransport, viaFetch);
  });
});

describe('the Docker Engine with the auth registries', () => {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  // Its registry client serves pushes by digest, which these tests do not make.
  const engine = new DockerEngine('/var/run/docker.sock', new RegistryClient());
  const base: ImageReference = { registry: regs.token.registry, repository: repoName('engine-base'), tag: 'v1' };
  const baseName = `${base.registry}/${base.repository}:${base.tag}`;
  const tokenLogin = regs.login(regs.token.registry, regs.token.username);
  const tokenAuth = { username: regs.token.username, password: regs.password, serveraddress: regs.token.registry };
  let baseDigest: string;
  let contextDir: string;
  const images: string[] = [];

  before(async () => {
    baseDigest = await copyBase(client({ credentials: tokenLogin }), base);
    contextDir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-auth-build-'));
    await fs.writeFile(path.join(contextDir, 'Dockerfile'), `FROM ${baseName}\nRUN echo built > /built\n`);
  });
  after(async () => {
    for (const id of images) await docker.getImage(id).remove({ force: true }).catch(() => undefined);
    await client({ credentials: tokenLogin }).deleteManifest(base, baseDigest).catch(() => undefined);
    await fs.rm(contextDir, { recursive: true, force: true });
  });

  it('pulls a private image from the token registry over TLS with a login, and not without', async () => {
    await assert.rejects(engineStream(docker.pull(baseName, {})), /unauthorized|authentication required|denied/i);
    const messages = await engineStream(docker.pull(baseName, { authconfig: tokenAuth }));
    assert.ok(messages.some((m) => m.status?.includes(baseDigest)), 'the pull names the digest the registry holds');
    images.push(baseName);
  });

  it('pushes to the htpasswd registry over TLS with a login, and the registry has it', async () => {
    const repository = repoName('engine-pushed');
    const target = `${regs.tls.registry}/${repository}`;
    await docker.getImage(baseName).tag({ repo: target, tag: 'v1' });
    images.push(`${target}:v1`);
    await assert.rejects(engineStream(docker.getImage(target).push({ tag: 'v1', authconfig: { serveraddress: regs.tls.registry } })), /no basic auth|unauthorized|authentication required/i);
    const messages = await engineStream(
      docker.getImage(target).push({ tag: 'v1', authconfig: { username: regs.tls.username, password: regs.password, serveraddress: regs.tls.registry } }),
    );
    const digest = messages.find((m) => m.aux?.Digest)?.aux?.Digest;
    const ref = { registry: regs.tls.registry, repository, tag: 'v1' };
    const c = client({ credentials: regs.login(regs.tls.registry) });
    assert.equal((await c.headManifest(ref))?.digest, digest);
    await c.deleteManifest(ref, digest!);
  });

  it('BuildKit builds FROM a private base on the token registry only with session credentials', async (t) => {
    const problem = await buildkitCaProblem(regs.token.registry);
    if (problem) return t.skip(problem);
    const build = (credentials: (host: string) => Promise<{ username: string; secret: string } | undefined>) =>
      engine.build({
        contextDir,
        dockerfile: 'Dockerfile',
        tags: [],
        buildArgs: {},
        platform: 'linux/amd64',
        noCache: true,
        session: { secrets: {}, credentials },
        signal: AbortSignal.timeout(300_000),
        log: () => undefined,
      });
    await assert.rejects(build(async () => undefined), /401|unauthorized|authorization/i);
    const id = await build(async (host) => (host === regs.token.registry ? { username: regs.token.username, secret: regs.password } : undefined));
    images.push(id);
  });
});

interface EngineMessage {
  status?: string;
  error?: string;
  aux?: { Digest?: string };
}

/** The messages of an Engine pull or push; rejects with the first error it reports. */
async function engineStream(started: Promise<unknown>): Promise<EngineMessage[]> {
  const stream = (await started) as NodeJS.ReadableStream;
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const messages = await new Promise<EngineMessage[]>((resolve, reject) => docker.modem.followProgress(stream, (err, out) => (err ? reject(err) : resolve(out as EngineMessage[]))));
  const failed = messages.find((m) => m.error);
  if (failed) throw new Error(failed.error);
  return messages;
}

/**
 * Why BuildKit cannot verify `registry`, when it cannot: Docker 20.10's BuildKit lists certs.d once, when the
 * Engine starts, so an Engine started before scripts/stack.sh put the CA there (an older stack) must restart first.
 */
async function buildkitCaProblem(registry: string): Promise<string | undefined> {
  const pid = (await fs.readFile('/var/run/docker.pid', 'utf8').catch(() => '')).trim();
  const engineStart = pid ? (await fs.stat(`/proc/${pid}`).catch(() => undefined))?.mtimeMs : undefined;
  const caAdded = (await fs.stat(`/etc/docker/certs.d/${registry}/ca.crt`).catch(() => undefined))?.mtimeMs;
  if (engineStart === undefined || caAdded === undefined || engineStart >= caAdded) return undefined;
  return `the Engine started before /etc/docker/certs.d/${registry}/ca.crt existed; its BuildKit trusts the CA after a restart (scripts/stack.sh status)`;
}

/** A CA of the test's own, which nothing the stack serves is signed by. */
async function otherCa(): Promise<{ caFile: string; remove(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-other-ca-'));
  const caFile = path.join(dir, 'ca.crt');
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'ca.key'), '-out', caFile, '-days', '1', '-subj', '/CN=Not the stack CA']);
  return { caFile, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}
