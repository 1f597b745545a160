// The pure parts of registry logins: one name per registry, a run's logins as the registry client, BuildKit
// and the Engine ask for them, and BuildKit's failure for a login it could not ask for, in the user's terms.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialHost } from '../../src/credentials/hosts.js';
import { credentialsProvider } from '../../src/credentials/provider.js';
import { SecretMasker } from '../../src/log.js';
import { buildkitCredentials, explainMissingLogin, loginTakenByAnotherBuild, registryAuthConfig } from '../../workers/builder/docker/registry-auth.js';
import { loginRefusal, pushError } from '../../workers/builder/docker/push-errors.js';
import { parseRegistryHost, readPassword } from '../../src/cli/commands/registry.js';
import type { CliIo } from '../../src/cli/io.js';

const logins = [
  { host: 'ghcr.io', username: 'gh-bot', password: 'gh-password-1' },
  { host: 'docker.io', username: 'hub-bot', password: 'hub-password-1' },
  { host: '127.0.0.1:5001', username: 'local', password: 'local-password' },
];

describe('a run’s registry logins', () => {
  it('are found under every spelling of a registry, and only for the registries they name', async () => {
    const provider = credentialsProvider(logins)!;
    for (const [asked, user] of [
      ['ghcr.io', 'gh-bot'],
      ['GHCR.IO', 'gh-bot'],
      ['registry-1.docker.io', 'hub-bot'],
      ['index.docker.io', 'hub-bot'],
      ['127.0.0.1:5001', 'local'],
      ['127.0.0.1:5000', undefined],
      ['evil.ghcr.io', undefined],
      ['ghcr.io.evil.com', undefined],
    ] as const) {
      assert.equal((await provider(asked))?.username, user, asked);
    }
    assert.equal(credentialHost('Registry-1.Docker.IO'), 'docker.io');
  });

  it('are none at all for a run without logins, so its builds open no session for them', () => {
    assert.equal(credentialsProvider([]), undefined);
  });

  it('register every password with the run’s masker before anything can print one', () => {
    const masker = new SecretMasker();
    credentialsProvider(logins, masker);
    assert.equal(masker.mask('saw gh-password-1 and hub-password-1'), 'saw *** and ***');
  });

  it('reach a push as its registry’s X-Registry-Auth, and BuildKit host by host', async () => {
    const provider = credentialsProvider(logins)!;
    assert.deepEqual(await registryAuthConfig(provider, 'ghcr.io'), { username: 'gh-bot', password: 'gh-password-1', serveraddress: 'ghcr.io' });
    assert.deepEqual(await registryAuthConfig(provider, 'quay.io'), { serveraddress: 'quay.io' });
    assert.deepEqual(await registryAuthConfig(undefined, 'quay.io'), { serveraddress: 'quay.io' });
    assert.deepEqual(await buildkitCredentials(provider)('registry-1.docker.io'), { username: 'hub-bot', secret: 'hub-password-1' });
    assert.equal(await buildkitCredentials(provider)('quay.io'), undefined);
  });
});

describe('registry failures in the user’s terms', () => {
  it('name the registry that wanted a login BuildKit could not ask for', () => {
    const failure = { step: '[internal] load metadata for 127.0.0.1:5001/private/base:v1', error: 'no active sessions', output: [] };
    assert.match(explainMissingLogin(failure).error, /^registry 127\.0\.0\.1:5001 asks for a login to pull 127\.0\.0\.1:5001\/private\/base:v1 .*slipway registry login 127\.0\.0\.1:5001$/);
    for (const other of [
      { step: '[internal] load metadata for docker.io/library/alpine:3', error: 'not found', output: [] },
      { step: '[2/2] RUN make', error: 'no active sessions', output: [] },
    ]) {
      assert.deepEqual(explainMissingLogin(other), other);
    }
  });

  it('tell a login another build took (Docker 20.10 shares one per repository between builds) from one the run lacks', async () => {
    const failure = { step: '[internal] load metadata for 127.0.0.1:5001/private/base:v1', error: 'no active sessions', output: [] };
    const has = async (host: string) => (host === '127.0.0.1:5001' ? { username: 'bot', secret: 'pw' } : undefined);
    assert.equal(await loginTakenByAnotherBuild(failure, has), '127.0.0.1:5001', 'a build holding the login lost it to another: try it again');
    assert.equal(await loginTakenByAnotherBuild(failure, async () => undefined), undefined, 'no login for that registry: the user must log in');
    assert.equal(await loginTakenByAnotherBuild(failure, undefined), undefined);
    assert.equal(await loginTakenByAnotherBuild({ ...failure, error: 'not found' }, has), undefined);
    assert.equal(await loginTakenByAnotherBuild({ ...failure, step: '[2/2] RUN make' }, has), undefined);
  });

  it('tell a refused push from a registry that is away', () => {
    const refused = pushError('ghcr.io/app:v1', 'ghcr.io', 'unauthorized: authentication required');
    assert.equal(refused.name, 'EngineError');
    assert.match(refused.message, /^registry ghcr\.io refused the push of ghcr\.io\/app:v1: unauthorized/);
    assert.equal(pushError('ghcr.io/app:v1', 'ghcr.io', 'dial tcp: connection refused').name, 'RegistryUnreachableError');
    // The Engine's words when a Basic registry got no login at all.
    const none = pushError('reg.example:5443/app:v1', 'reg.example:5443', 'no basic auth credentials');
    assert.match(none.message, /^registry reg\.example:5443 asks for a login to push reg\.example:5443\/app:v1 \(401 unauthorized: no basic auth credentials\).*slipway registry login reg\.example:5443$/);
    // A cmd step's pull, in the same words.
    assert.match(loginRefusal('ghcr.io', 'pull', 'ghcr.io/tool:v1', 'Head "https://ghcr.io/v2/tool/manifests/v1": unauthorized')!.message, /^registry ghcr\.io refused the pull of ghcr\.io\/tool:v1: .*slipway registry login ghcr\.io\)$/);
    assert.equal(loginRefusal('ghcr.io', 'pull', 'ghcr.io/tool:v1', 'manifest unknown'), undefined);
  });
});

describe('slipway registry login HOST', () => {
  it('takes a registry as docker login does, and refuses what is not one', () => {
    assert.equal(parseRegistryHost('ghcr.io'), 'ghcr.io');
    assert.equal(parseRegistryHost('https://registry.example.com:5000/v2/'), 'registry.example.com:5000');
    assert.equal(parseRegistryHost('[::1]:5000'), '[::1]:5000');
    for (const bad of ['', 'a b', 'user@ghcr.io', '-x', 'ghcr.io:port', `${'a'.repeat(64)}.io`]) assert.throws(() => parseRegistryHost(bad), /is not a registry/, bad);
  });
});

describe('the password of slipway registry login', () => {
  const run = async (flags: Parameters<typeof readPassword>[0], input: string[] = []) => {
    let stderr = '';
    const io: CliIo = { stdout: { write: () => true }, stderr: { write: (c) => ((stderr += c), true) } };
    const password = await readPassword(flags, (async function* () { yield* input; })(), io);
    return { password, stderr };
  };

  it('is read from standard input without its line break, as docker login reads it', async () => {
    assert.deepEqual(await run({ passwordStdin: true }, ['pass', 'word-1\r\n']), { password: 'password-1', stderr: '' });
  });

  it('may be given with -p, with docker’s warning', async () => {
    const { password, stderr } = await run({ password: 'password-2' });
    assert.equal(password, 'password-2');
    assert.match(stderr, /^WARNING! Using --password via the CLI is insecure.*--password-stdin/);
  });

  it('is asked for when missing, empty or given twice', async () => {
    await assert.rejects(run({}), /--password-stdin/);
    await assert.rejects(run({ passwordStdin: true }, ['\n']), /standard input is empty/);
    await assert.rejects(run({ passwordStdin: true, password: 'x' }), /not both/);
  });
});
