// Table tests of the WWW-Authenticate parser: Basic, Bearer, quoting, several challenges, hostile input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWwwAuthenticate, type AuthChallenge } from '../../src/registry/www-authenticate.js';

const table: [header: string, expected: AuthChallenge[]][] = [
  ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
  ['basic realm=registry', [{ scheme: 'basic', params: { realm: 'registry' } }]],
  ['BASIC REALM="x"', [{ scheme: 'basic', params: { realm: 'x' } }]],
  ['Basic', [{ scheme: 'basic', params: {} }]],
  [
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
    [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } }],
  ],
  // commas inside quotes
  [
    'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/a:pull,push"',
    [{ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:o/a:pull,push' } }],
  ],
  // spaces around separators and '='
  [
    'Bearer  realm = "https://r/token" ,  service = "r" , scope="a b"',
    [{ scheme: 'bearer', params: { realm: 'https://r/token', service: 'r', scope: 'a b' } }],
  ],
  // several challenges in one value (fetch joins repeated headers with ", ")
  [
    'Bearer realm="https://r/token",service="r", Basic realm="r"',
    [
      { scheme: 'bearer', params: { realm: 'https://r/token', service: 'r' } },
      { scheme: 'basic', params: { realm: 'r' } },
    ],
  ],
  [
    'Basic realm="a, b", Bearer realm="t"',
    [
      { scheme: 'basic', params: { realm: 'a, b' } },
      { scheme: 'bearer', params: { realm: 't' } },
    ],
  ],
  // escapes in quoted strings
  ['Basic realm="say \\"hi\\" \\\\ back"', [{ scheme: 'basic', params: { realm: 'say "hi" \\ back' } }]],
  // parameter names are case-insensitive; the first occurrence wins
  ['Bearer Realm="a",REALM="b",Service=s', [{ scheme: 'bearer', params: { realm: 'a', service: 's' } }]],
  // the error parameter registries add after a failed token
  [
    'Bearer realm="https://r/token",error="insufficient_scope",scope="repository:x:push"',
    [{ scheme: 'bearer', params: { realm: 'https://r/token', error: 'insufficient_scope', scope: 'repository:x:push' } }],
  ],
  // empty values
  ['Bearer realm="",service=""', [{ scheme: 'bearer', params: { realm: '', service: '' } }]],
  ['Bearer service="s",realm=, scope="x"', [{ scheme: 'bearer', params: { service: 's', realm: '', scope: 'x' } }]],
  // token68
  ['Negotiate abc123==', [{ scheme: 'negotiate', params: {}, token68: 'abc123==' }]],
  ['Negotiate abc=, Basic realm="r"', [{ scheme: 'negotiate', params: {}, token68: 'abc=' }, { scheme: 'basic', params: { realm: 'r' } }]],
  // leading/trailing separators and empty input
  ['', []],
  ['   ', []],
  [' , Basic realm="r" , ', [{ scheme: 'basic', params: { realm: 'r' } }]],
  // malformed input degrades without throwing
  ['Bearer realm="unterminated', [{ scheme: 'bearer', params: { realm: 'unterminated' } }]],
  ['"quoted"', []],
  ['Bearer realm="r" garbage', [{ scheme: 'bearer', params: { realm: 'r' } }, { scheme: 'garbage', params: {} }]],
];

describe('parseWwwAuthenticate', () => {
  for (const [header, expected] of table) {
    it(JSON.stringify(header), () => {
      assert.deepEqual(parseWwwAuthenticate(header), expected);
    });
  }

  it('treats __proto__ and constructor as ordinary parameter names', () => {
    const [c] = parseWwwAuthenticate('Bearer __proto__="x",constructor="y",realm="r"');
    assert.ok(c);
    assert.equal(Object.getPrototypeOf(c.params), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(c.params, '__proto__')?.value, 'x');
    assert.equal(c.params['constructor'], 'y');
    assert.equal(c.params['realm'], 'r');
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
  });

  it('parses a very long header in linear time', () => {
    const header = 'Bearer ' + Array.from({ length: 20_000 }, (_, n) => `p${n}="${'v,'.repeat(10)}"`).join(',');
    // A quadratic parser would not finish this before the runner's timeout.
    const [c] = parseWwwAuthenticate(header);
    assert.equal(Object.keys(c?.params ?? {}).length, 20_000);
  });

  it('survives control characters and unicode', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="a\u0000b\u00e9\u{1F600}"'), [{ scheme: 'bearer', params: { realm: 'a\u0000b\u00e9\u{1F600}' } }]);
    assert.doesNotThrow(() => parseWwwAuthenticate('\u0000\r\n\u00e9=,="'));
  });
});
