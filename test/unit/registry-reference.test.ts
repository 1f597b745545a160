// Table tests of image-reference parsing and normalisation (Docker's rules), including hostile input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSlipwayError } from '../../src/errors.js';
import {
  canonicalImageName,
  checkImageReference,
  formatReference,
  InvalidReferenceError,
  parseImageReference,
  withDefaultTag,
  type ImageReference,
} from '../../src/registry/reference.js';

const D256 = 'sha256:' + 'a'.repeat(64);
const D384 = 'sha384:' + 'b'.repeat(96);
const D512 = 'sha512:' + 'c'.repeat(128);

type Valid = [input: string, expected: ImageReference, opts?: { defaultRegistry?: string }];

const valid: Valid[] = [
  // Docker Hub normalisation
  ['alpine', { registry: 'docker.io', repository: 'library/alpine' }],
  ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
  ['library/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
  ['bitnami/redis:7.2', { registry: 'docker.io', repository: 'bitnami/redis', tag: '7.2' }],
  ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
  ['docker.io/library/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
  ['index.docker.io/alpine:edge', { registry: 'docker.io', repository: 'library/alpine', tag: 'edge' }],
  ['index.docker.io/user/app', { registry: 'docker.io', repository: 'user/app' }],
  ['Docker.IO/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
  ['a/b/c/d', { registry: 'docker.io', repository: 'a/b/c/d' }],
  // explicit registries: '.', ':' or localhost
  ['ghcr.io/owner/app:v1', { registry: 'ghcr.io', repository: 'owner/app', tag: 'v1' }],
  ['ghcr.io/app', { registry: 'ghcr.io', repository: 'app' }],
  ['myreg.azurecr.io/team/svc/api:1.0.0', { registry: 'myreg.azurecr.io', repository: 'team/svc/api', tag: '1.0.0' }],
  ['MyReg.AzureCR.io/app', { registry: 'myreg.azurecr.io', repository: 'app' }],
  ['localhost/app', { registry: 'localhost', repository: 'app' }],
  ['localhost:5000/app', { registry: 'localhost:5000', repository: 'app' }],
  ['localhost:5000/app:tag', { registry: 'localhost:5000', repository: 'app', tag: 'tag' }],
  ['127.0.0.1:5000/slipway/app:dev', { registry: '127.0.0.1:5000', repository: 'slipway/app', tag: 'dev' }],
  ['10.0.0.1/app', { registry: '10.0.0.1', repository: 'app' }],
  ['registry:5000/app', { registry: 'registry:5000', repository: 'app' }],
  ['my-registry.example.com:443/a/b', { registry: 'my-registry.example.com:443', repository: 'a/b' }],
  ['[::1]:5000/app:1', { registry: '[::1]:5000', repository: 'app', tag: '1' }],
  ['[::1]/app', { registry: '[::1]', repository: 'app' }],
  ['[2001:db8::1]:5000/x/y', { registry: '[2001:db8::1]:5000', repository: 'x/y' }],
  ['[2001:DB8::1]/x', { registry: '[2001:db8::1]', repository: 'x' }],
  // not a registry: no '.', ':' and not localhost
  ['registry/app', { registry: 'docker.io', repository: 'registry/app' }],
  ['localhostx/app', { registry: 'docker.io', repository: 'localhostx/app' }],
  // localhost without a slash is a repository, and the port becomes a tag (as in Docker)
  ['localhost', { registry: 'docker.io', repository: 'library/localhost' }],
  ['localhost:5000', { registry: 'docker.io', repository: 'library/localhost', tag: '5000' }],
  // separators
  ['g/a.b_c__d-e--f', { registry: 'docker.io', repository: 'g/a.b_c__d-e--f' }],
  // a first component with '.' is a registry even when it looks like a repository (as in Docker)
  ['my.app/x', { registry: 'my.app', repository: 'x' }],
  ['a0/b1.c2', { registry: 'docker.io', repository: 'a0/b1.c2' }],
  ['x', { registry: 'docker.io', repository: 'library/x' }],
  ['0', { registry: 'docker.io', repository: 'library/0' }],
  // tags
  ['app:latest', { registry: 'docker.io', repository: 'library/app', tag: 'latest' }],
  ['app:_under', { registry: 'docker.io', repository: 'library/app', tag: '_under' }],
  ['app:V1.2-RC_3', { registry: 'docker.io', repository: 'library/app', tag: 'V1.2-RC_3' }],
  ['app:' + 't'.repeat(128), { registry: 'docker.io', repository: 'library/app', tag: 't'.repeat(128) }],
  // digests, alone and with a tag
  ['app@' + D256, { registry: 'docker.io', repository: 'library/app', digest: D256 }],
  ['app:1@' + D256, { registry: 'docker.io', repository: 'library/app', tag: '1', digest: D256 }],
  ['ghcr.io/o/a@' + D384, { registry: 'ghcr.io', repository: 'o/a', digest: D384 }],
  ['localhost:5000/a:t@' + D512, { registry: 'localhost:5000', repository: 'a', tag: 't', digest: D512 }],
  // default registry
  ['app', { registry: '127.0.0.1:5000', repository: 'app' }, { defaultRegistry: '127.0.0.1:5000' }],
  ['team/app:1', { registry: 'acr.example.io', repository: 'team/app', tag: '1' }, { defaultRegistry: 'acr.example.io' }],
  ['ghcr.io/o/a', { registry: 'ghcr.io', repository: 'o/a' }, { defaultRegistry: '127.0.0.1:5000' }],
  ['app', { registry: 'docker.io', repository: 'library/app' }, { defaultRegistry: 'index.docker.io' }],
  // the 255 limit counts the registry
  ['r.io/' + 'a'.repeat(250), { registry: 'r.io', repository: 'a'.repeat(250) }],
];

type Invalid = [input: string, reason: RegExp, opts?: { defaultRegistry?: string }];

const invalid: Invalid[] = [
  ['', /empty/],
  [':tag', /repository name is empty/],
  ['@' + D256, /repository name is empty/],
  ['Alpine', /uppercase/],
  ['library/Alpine:1', /uppercase/],
  ['Foo/bar', /uppercase/],
  ['ghcr.io/Owner/app', /uppercase/],
  ['app:', /bad tag/],
  ['app:-x', /bad tag/],
  ['app:.x', /bad tag/],
  ['app:a/b', /bad registry port "a"/],
  ['app:t+1', /bad tag/],
  ['app:' + 't'.repeat(129), /bad tag/],
  ['app@', /bad digest/],
  ['app@sha256', /bad digest/],
  ['app@sha256:abc', /needs 64 hex/],
  ['app@sha256:' + 'a'.repeat(65), /needs 64 hex/],
  ['app@sha256:' + 'A'.repeat(64), /lowercase/],
  ['app@sha256:' + 'g'.repeat(64), /lowercase 0-9a-f/],
  ['app@sha512:' + 'a'.repeat(64), /needs 128 hex/],
  ['app@md5:' + 'a'.repeat(32), /unsupported digest algorithm/],
  ['app@:' + 'a'.repeat(64), /bad digest/],
  ['app@' + D256 + '@' + D256, /bad digest|lowercase/],
  ['app@' + D256 + ':tag', /bad digest|lowercase/],
  ['a'.repeat(64), /image id/],
  ['/app', /empty path component/],
  ['app/', /empty path component/],
  ['a//b', /empty path component/],
  ['ghcr.io/', /repository name is empty/],
  ['-app', /bad repository path component/],
  ['app-', /bad repository path component/],
  ['a..b', /bad repository path component/],
  ['a___b', /bad repository path component/],
  ['a._b', /bad repository path component/],
  ['.app', /bad repository path component/],
  ['a/_b', /bad repository path component/],
  ['app!', /bad repository path component/],
  ['a%2fb', /bad repository path component/],
  ['a:b:c', /bad repository path component|bad tag/],
  ['localhost:0/app', /bad registry port/],
  ['localhost:65536/app', /bad registry port/],
  ['localhost:abc/app', /bad registry port/],
  ['localhost:/app', /bad registry port/],
  [':5000/app', /repository name is empty|has no host/],
  ['-bad.io/app', /bad registry host/],
  ['bad-.io/app', /bad registry host/],
  ['bad..io/app', /bad registry host/],
  ['bad_host.io/app', /bad registry host/],
  ['[::1/app', /unclosed/],
  ['[::1]x/app', /after the IPv6/],
  ['[zz::1]:5000/app', /not a valid IPv6/],
  ['[1.2.3.4]/app', /not a valid IPv6/],
  ['[fe80::1%eth0]/app', /not a valid IPv6/],
  ['r.io/' + 'a'.repeat(251), /longer than 255/],
  ['a/' + 'b'.repeat(254), /longer than 255/],
  ['app', /default bad registry/, { defaultRegistry: 'bad_registry!' }],
  // hostile input
  ['a'.repeat(10_000), /too long/],
  ['a'.repeat(100_000) + '!', /too long/],
  ['a-'.repeat(290) + '!', /bad repository path component|longer than 255/],
  [' alpine', /whitespace/],
  ['alpine ', /whitespace/],
  ['alp ine', /whitespace/],
  ['alpine\n', /control/],
  ['alpine\r\nX-Injected: 1', /control/],
  ['alpine\u0000', /control/],
  ['alpine\u001b[31m', /control/],
  ['alpine\u007f', /control/],
  ['alpine\t:1', /control/],
  ['alpïne', /non-ASCII/],
  ['alpine:1.0\u200b', /non-ASCII/],
  ['ａlpine', /non-ASCII/],
  ['gh\u0441r.io/app', /non-ASCII/],
  ['app:\u{1F600}', /non-ASCII/],
  ['\uD800', /non-ASCII/],
  ['../../etc/passwd', /bad registry host/],
  ['x/../../etc/passwd', /bad repository path component/],
  ['app?x=1', /bad repository path component/],
  ['app#frag', /bad repository path component/],
  ['http://ghcr.io/app', /bad registry|bad repository|empty path/],
];

describe('parseImageReference: valid', () => {
  for (const [input, expected, opts] of valid) {
    it(`${JSON.stringify(input.length > 60 ? input.slice(0, 60) + '…' : input)}${opts ? ` ${JSON.stringify(opts)}` : ''}`, () => {
      assert.deepEqual(parseImageReference(input, opts), expected);
    });
  }
});

describe('parseImageReference: invalid', () => {
  for (const [input, reason, opts] of invalid) {
    it(`${JSON.stringify(input.length > 60 ? input.slice(0, 60) + '…' : input)} → ${reason}`, () => {
      assert.throws(
        () => parseImageReference(input, opts),
        (err: unknown) => {
          assert.ok(err instanceof InvalidReferenceError, `expected InvalidReferenceError, got ${String(err)}`);
          assert.match(err.message, reason);
          assert.equal(err.code, 'invalid_reference');
          assert.equal(err.status, 400);
          assert.equal(err.input, input);
          return true;
        },
      );
    });
  }
});

describe('InvalidReferenceError message', () => {
  it('names the input and is a BadInputError', () => {
    const err = catchError(() => parseImageReference('Alpine:3'));
    assert.equal(err.name, 'InvalidReferenceError');
    assert.ok(isSlipwayError(err));
    assert.match(err.message, /^invalid image reference "Alpine:3": /);
  });
  it('keeps hostile input short and printable', () => {
    for (const input of ['x'.repeat(100_000), 'alpine\r\nX-Injected: 1', 'a\u0000b', 'app:\u{1F600}\u202e']) {
      const err = catchError(() => parseImageReference(input));
      assert.ok(err.message.length < 200, `message too long: ${err.message.length}`);
      assert.match(err.message, /^[\x20-\x7e…]*$/, `unprintable message: ${JSON.stringify(err.message)}`);
    }
  });
  it('answers hostile input quickly (no regex backtracking)', () => {
    const inputs = ['a-'.repeat(120) + '!', 'a'.repeat(254) + '-', '0_'.repeat(127) + '_', 'a.'.repeat(299)];
    // Catastrophic backtracking would not end; the runner's timeout catches that, not a stopwatch.
    for (const input of inputs) assert.throws(() => parseImageReference(input), InvalidReferenceError);
  });
});

describe('formatReference', () => {
  const table: [string, string][] = [
    ['alpine', 'docker.io/library/alpine'],
    ['alpine:3', 'docker.io/library/alpine:3'],
    ['alpine@' + D256, 'docker.io/library/alpine@' + D256],
    ['127.0.0.1:5000/a/b:t@' + D256, '127.0.0.1:5000/a/b:t@' + D256],
    ['[::1]:5000/a', '[::1]:5000/a'],
  ];
  for (const [input, expected] of table) {
    it(`${input.slice(0, 40)} → ${expected.slice(0, 40)}`, () => {
      assert.equal(formatReference(parseImageReference(input)), expected);
      // canonical output parses back to the same reference
      assert.deepEqual(parseImageReference(expected), parseImageReference(input));
    });
  }
});

describe('withDefaultTag', () => {
  it('adds latest when there is neither tag nor digest', () => {
    assert.deepEqual(withDefaultTag(parseImageReference('alpine')), { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' });
  });
  it('keeps an existing tag', () => {
    assert.equal(withDefaultTag(parseImageReference('alpine:3')).tag, '3');
  });
  it('adds no tag to a digest reference', () => {
    const ref = withDefaultTag(parseImageReference('alpine@' + D256));
    assert.equal(ref.tag, undefined);
    assert.equal(ref.digest, D256);
  });
  it('does not change its argument', () => {
    const ref = parseImageReference('alpine');
    withDefaultTag(ref);
    assert.equal(ref.tag, undefined);
  });
});

function catchError(fn: () => unknown): InvalidReferenceError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidReferenceError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('checkImageReference (references built by hand)', () => {
  const ok: ImageReference[] = [
    { registry: '127.0.0.1:5000', repository: 'a/b' },
    { registry: 'ghcr.io', repository: 'o/a', tag: 'v1', digest: D256 },
    { registry: '[::1]:5000', repository: 'x' },
  ];
  for (const ref of ok) it(`accepts ${formatReference(ref).slice(0, 60)}`, () => assert.doesNotThrow(() => checkImageReference(ref)));

  const bad: [ImageReference, RegExp][] = [
    [{ registry: '127.0.0.1:5000', repository: '../etc' }, /bad repository path component/],
    [{ registry: '127.0.0.1:5000', repository: 'a?b=c' }, /bad repository path component/],
    [{ registry: '127.0.0.1:5000', repository: 'A' }, /uppercase/],
    [{ registry: '127.0.0.1:5000', repository: '' }, /empty/],
    [{ registry: 'evil.io/x', repository: 'a' }, /bad registry host/],
    [{ registry: '', repository: 'a' }, /no host/],
    [{ registry: 'r.io', repository: 'a', tag: '../x' }, /bad tag/],
    [{ registry: 'r.io', repository: 'a', tag: 'a\r\nb' }, /bad tag/],
    [{ registry: 'r.io', repository: 'a', digest: 'sha256:../../x' }, /bad digest|lowercase/],
  ];
  for (const [ref, reason] of bad) {
    it(`refuses ${JSON.stringify(ref).slice(0, 70)}`, () => assert.throws(() => checkImageReference(ref), (e: unknown) => e instanceof InvalidReferenceError && reason.test(e.message)));
  }
});

describe('canonicalImageName (how the base-image graph compares names)', () => {
  const cases: [string, string][] = [
    ['Registry.Example.COM:5000/team/app:1', 'registry.example.com:5000/team/app:1'],
    ['registry.example.com:5000/team/app:1', 'registry.example.com:5000/team/app:1'],
    ['GHCR.io/acme/tool:V2', 'ghcr.io/acme/tool:V2'],
    ['alpine:3.19', 'docker.io/library/alpine:3.19'],
    ['Index.Docker.IO/library/alpine:3.19', 'docker.io/library/alpine:3.19'],
    // Not a reference (a repository path in capitals): left as it is, so it never matches a real one.
    ['registry.example.com/Team/app:1', 'registry.example.com/Team/app:1'],
  ];
  for (const [input, want] of cases) it(`${input} → ${want}`, () => assert.equal(canonicalImageName(input), want));
});
