// Which registries are plain HTTP and which CAs an HTTPS one is checked with (RegistryTls), and how a TLS
// failure is told (tlsFailure): Docker's rules, with a certs.d of the test's own.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RegistryTls, tlsFailure } from '../../src/registry/tls.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('RegistryTls', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-certsd-'));
    await fs.mkdir(path.join(dir, '127.0.0.1:5443'));
    await fs.writeFile(path.join(dir, '127.0.0.1:5443', 'ca.crt'), PEM);
    await fs.mkdir(path.join(dir, 'registry.example:443'));
    await fs.writeFile(path.join(dir, 'registry.example:443', 'ca.crt'), PEM);
    await fs.writeFile(path.join(dir, 'registry.example:443', 'client.key'), 'not a CA');
  });
  after(async () => fs.rm(dir, { recursive: true, force: true }));

  const cases: [string, boolean][] = [
    ['127.0.0.1:5000', true],
    ['localhost:5000', true],
    ['[::1]:5000', true],
    ['127.0.0.1:5443', false], // a CA in certs.d: HTTPS, loopback or not
    ['registry.example:443', false],
    ['ghcr.io', false],
    ['10.0.0.5:5000', true], // listed with its port
    ['10.0.0.5:5001', false],
    ['build.lan:8080', true], // listed as a bare host: every port
    ['BUILD.LAN', true],
  ];
  for (const [registry, insecure] of cases) {
    it(`${registry}: ${insecure ? 'plain HTTP' : 'HTTPS'}`, () => {
      const tls = new RegistryTls({ certsDir: dir, insecure: ['10.0.0.5:5000', 'build.lan'] });
      assert.equal(tls.insecure(registry), insecure);
    });
  }

  it('trusts the system roots alone unless a CA is configured for the host', async () => {
    const tls = new RegistryTls({ certsDir: dir, insecure: [] });
    assert.deepEqual(await tls.extraCas('ghcr.io'), []);
    assert.deepEqual(await tls.extraCas('registry.example:443'), [PEM], 'only *.crt files are CAs');
  });

  it('adds the CA file for every host', async () => {
    const caFile = path.join(dir, 'bundle.pem');
    const bundle = PEM.replace('MIIB', 'MIIC');
    await fs.writeFile(caFile, bundle);
    const tls = new RegistryTls({ certsDir: dir, caFile, insecure: [] });
    assert.deepEqual(await tls.extraCas('ghcr.io'), [bundle]);
    assert.deepEqual(await tls.extraCas('registry.example:443'), [bundle, PEM]);
  });

  it("a token realm is checked with its own CAs and its registry's, each once", async () => {
    const tls = new RegistryTls({ certsDir: dir, insecure: [] });
    assert.deepEqual(await tls.extraCas('auth.example:443', 'registry.example:443'), [PEM]);
    assert.deepEqual(await tls.extraCas('127.0.0.1:5443', 'registry.example:443'), [PEM], 'the same CA twice is listed once');
  });

  it('never reads outside certs.d for a hostile registry name', async () => {
    const tls = new RegistryTls({ certsDir: path.join(dir, '127.0.0.1:5443'), insecure: [] });
    for (const name of ['..', '../127.0.0.1:5443', '.', 'a/b']) {
      assert.deepEqual(await tls.extraCas(name), [], name);
      assert.equal(tls.certsDirFor(name), undefined, name);
    }
  });

  it('an unreadable CA file fails at start, not at the first pull', () => {
    assert.throws(() => new RegistryTls({ caFile: path.join(dir, 'missing.pem'), insecure: [] }), /ENOENT/);
  });
});

describe('tlsFailure', () => {
  const failed = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
  it('an unknown CA names the host and where its CA goes', () => {
    const message = tlsFailure(failed('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'reg.example:5443', '/etc/docker/certs.d/reg.example:5443/ca.crt');
    assert.match(message ?? '', /reg\.example:5443 is not signed by a trusted CA .*SLIPWAY_REGISTRY_CA_FILE or \/etc\/docker\/certs\.d\/reg\.example:5443\/ca\.crt/);
  });
  it('a plain HTTP server spoken to with TLS points at the insecure list', () => {
    assert.match(tlsFailure(failed('ERR_SSL_WRONG_VERSION_NUMBER'), 'reg.example', undefined) ?? '', /SLIPWAY_INSECURE_REGISTRIES/);
  });
  it('an expired certificate and a wrong name are said so', () => {
    assert.match(tlsFailure(failed('CERT_HAS_EXPIRED'), 'r', undefined) ?? '', /not valid now/);
    assert.match(tlsFailure(failed('ERR_TLS_CERT_ALTNAME_INVALID'), 'r', undefined) ?? '', /another name/);
  });
  it('other network errors are not TLS failures (they are retried)', () => {
    assert.equal(tlsFailure(failed('ECONNREFUSED'), 'r', undefined), undefined);
    assert.equal(tlsFailure(new Error('boom'), 'r', undefined), undefined);
  });
});
