// The CLI's pure flag parsers: what they accept, how they normalise, and what they refuse with which message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/errors.js';
import {
  parseImage,
  parseKeyValue,
  parseKeyValues,
  parseLabels,
  parsePlatformFlag,
  parseRunId,
  parseServerUrl,
  parseStatus,
  parseTimeout,
  parseTop,
} from '../../src/cli/flags.js';

/** Asserts a UsageError whose message matches every pattern. */
function refuses(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

describe('parseKeyValue', () => {
  const accepted: [string, [string, string]][] = [
    ['A=1', ['A', '1']],
    ['A=', ['A', '']],
    ['A==', ['A', '=']],
    ['URL=http://x/?a=b&c=d', ['URL', 'http://x/?a=b&c=d']],
    ['_x9=with space', ['_x9', 'with space']],
    ['MULTI=line1\nline2', ['MULTI', 'line1\nline2']],
    ['__proto__=polluted', ['__proto__', 'polluted']],
    ['UNICODE=héllo ✓', ['UNICODE', 'héllo ✓']],
  ];
  for (const [input, expected] of accepted) {
    it(`accepts ${JSON.stringify(input)}`, () => assert.deepEqual(parseKeyValue('--build-arg', input), expected));
  }

  const refused: [string, RegExp][] = [
    ['FOO', /expected KEY=VALUE/],
    ['', /expected KEY=VALUE/],
    ['=value', /name before = is empty/],
    ['=', /name before = is empty/],
    ['1ABC=x', /letters, digits and _/],
    [' A=x', /letters, digits and _/],
    ['A-B=x', /letters, digits and _/],
    ['A B=x', /letters, digits and _/],
    ['$(rm -rf /)=x', /letters, digits and _/],
    ['ÄPFEL=x', /letters, digits and _/],
    ['A\n=x', /letters, digits and _/],
    [`${'K'.repeat(257)}=x`, /longer than 256/],
    [`K=${'v'.repeat(65_537)}`, /longer than 65536/],
  ];
  for (const [input, pattern] of refused) {
    it(`refuses ${JSON.stringify(input.slice(0, 30))}`, () => refuses(() => parseKeyValue('--build-arg', input), /^--build-arg/, pattern));
  }

  it('keeps long input out of the message', () => {
    assert.throws(() => parseKeyValue('--build-arg', 'x'.repeat(10_000)), (err: Error) => err.message.length < 200);
  });

  it('never echoes a secret flag value', () => {
    for (const input of ['hunter2-secret', '=hunter2-secret']) {
      assert.throws(
        () => parseKeyValue('--secret-build-arg', input, { secret: true }),
        (err: Error) => err.message.startsWith('--secret-build-arg') && !err.message.includes('hunter2'),
      );
    }
  });
});

describe('parseKeyValues', () => {
  it('lets the last of a repeated name win, as docker build does', () => {
    assert.deepEqual(parseKeyValues('--build-arg', ['A=1', 'B=2', 'A=3']), { A: '3', B: '2' });
  });

  it('keeps __proto__ a plain key instead of changing the prototype', () => {
    const args = parseKeyValues('--build-arg', ['__proto__=x', 'constructor=y']);
    assert.equal(Object.getPrototypeOf(args), Object.prototype);
    assert.deepEqual(Object.keys(args).sort(), ['__proto__', 'constructor']);
    assert.equal(JSON.parse(JSON.stringify(args)).constructor, 'y');
  });

  it('refuses more than 200', () => {
    const many = Array.from({ length: 201 }, (_, i) => `A${i}=x`);
    refuses(() => parseKeyValues('--build-arg', many), /at most 200/);
  });

  it('is empty for no flags', () => assert.deepEqual(parseKeyValues('--build-arg', []), {}));
});

describe('parseLabels', () => {
  it('takes KEY=VALUE and KEY, the last of a key winning, values verbatim', () =>
    assert.deepEqual(parseLabels(['org.opencontainers.image.title=My App', 'a=1', 'a=2', 'k', 'e=', 'eq=x=y']), {
      'org.opencontainers.image.title': 'My App',
      a: '2',
      k: '',
      e: '',
      eq: 'x=y',
    }));
  it('refuses an empty key', () => refuses(() => parseLabels(['=v']), /^--label "=v": the key before = is empty$/));
  it('refuses a key with a space or a control character', () => {
    refuses(() => parseLabels(['my key=v']), /^--label "my key": a label key has no spaces/);
    refuses(() => parseLabels(['k\u0007=v']), /a label key has no spaces or control characters/);
  });
  it('refuses too many, and a value too long', () => {
    refuses(() => parseLabels(Array.from({ length: 101 }, (_, i) => `k${i}=v`)), /^--label: at most 100 are accepted, got 101$/);
    refuses(() => parseLabels([`k=${'v'.repeat(4097)}`]), /^--label k: the value is longer than 4096 characters$/);
  });
});

describe('parseTimeout', () => {
  for (const [input, seconds] of [['1', 1], ['600', 600], ['007', 7], ['86400', 86_400]] as const) {
    it(`accepts ${input}`, () => assert.equal(parseTimeout(input), seconds));
  }
  for (const input of ['', '0', '000', '-5', '+5', '1.5', '1e3', '10s', ' 60', '60 ', '0x10', 'NaN', 'Infinity', '86401', '99999999999999999999', '٣']) {
    it(`refuses ${JSON.stringify(input)}`, () => refuses(() => parseTimeout(input), /^--timeout/));
  }
});

describe('parsePlatformFlag', () => {
  const accepted: [string, string][] = [
    ['linux/amd64', 'linux/amd64'],
    ['linux/arm64', 'linux/arm64'],
    ['LINUX/ARM64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm/v7', 'linux/arm/v7'],
    ['amd64', 'linux/amd64'],
    ['linux/x86_64', 'linux/amd64'],
    ['linux/aarch64', 'linux/arm64'],
    ['windows/amd64', 'windows/amd64'],
    ['linux/amd64,linux/arm64', 'linux/amd64,linux/arm64'],
    ['linux/arm64, amd64', 'linux/arm64,linux/amd64'],
    ['linux/arm64,linux/aarch64,linux/arm64/v8', 'linux/arm64'],
  ];
  for (const [input, expected] of accepted) it(`${input} → ${expected}`, () => assert.equal(parsePlatformFlag(input), expected));
  for (const input of ['', '/', 'linux/', '/amd64', 'linux/amd64/v8/x', 'linux amd64', 'linux/../amd64', 'linux/amd64;rm', 'x'.repeat(5000), ',', 'linux/amd64,', 'linux/amd64,,linux/arm64']) {
    it(`refuses ${JSON.stringify(input.slice(0, 30))}`, () => refuses(() => parsePlatformFlag(input), /^--platform/, /os\/arch/));
  }
  it('refuses a list longer than 16', () => refuses(() => parsePlatformFlag(Array(17).fill('amd64').join(',')), /at most 16/));
});

describe('parseImage', () => {
  for (const input of ['app', 'app:1.0', 'registry.local:5000/team/app:1', 'app@sha256:abc']) {
    it(`accepts ${input}`, () => assert.equal(parseImage(input), input));
  }
  for (const input of ['', 'app 1', 'app\n', 'app\t:1', '\u0000', 'a'.repeat(1025)]) {
    it(`refuses ${JSON.stringify(input.slice(0, 20))}`, () => refuses(() => parseImage(input), /^--tag/));
  }
});

describe('parseServerUrl', () => {
  const accepted: [string, string][] = [
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    ['https://builds.example.com', 'https://builds.example.com'],
    ['https://example.com/slipway//', 'https://example.com/slipway'],
    ['HTTP://LOCALHOST:80', 'http://localhost'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
  ];
  for (const [input, expected] of accepted) it(`${input} → ${expected}`, () => assert.equal(parseServerUrl(input), expected));
  const refused: [string, RegExp][] = [
    ['', /http:\/\/ or https:\/\//],
    ['127.0.0.1:8080', /e\.g\. http:\/\/127\.0\.0\.1:8080$/],
    ['localhost:8080', /e\.g\. http:\/\/localhost:8080$/],
    ['http://', /not a URL/],
    ['ftp://example.com', /http:\/\/ or https:\/\//],
    ['file:///etc/passwd', /http:\/\/ or https:\/\//],
    ['javascript:alert(1)', /http:\/\/ or https:\/\//],
    ['http://user:pass@example.com', /credentials/],
    ['http://example.com/?x=1', /query or fragment/],
    ['http://example.com/#x', /query or fragment/],
    ['http://exa mple.com', /not a URL/],
  ];
  for (const [input, pattern] of refused) it(`refuses ${JSON.stringify(input)}`, () => refuses(() => parseServerUrl(input), /^--server/, pattern));

  it('names the variable when the default is wrong', () => refuses(() => parseServerUrl('ftp://x', 'SLIPWAY_SERVER'), /^SLIPWAY_SERVER/));
  it('keeps a password out of the message', () => {
    assert.throws(() => parseServerUrl('http://u:s3cret@x'), (err: Error) => !err.message.includes('s3cret'));
  });
});

describe('parseRunId', () => {
  for (const input of ['r00001a', 'r0000001', 'cb3', 'run_1-2']) it(`accepts ${input}`, () => assert.equal(parseRunId(input), input));
  for (const input of ['', '..', '../x', 'a/b', 'a?b', 'a%2F', '-r1', 'x'.repeat(65), 'r1\n']) {
    it(`refuses ${JSON.stringify(input.slice(0, 20))}`, () => refuses(() => parseRunId(input), /is not a run id/));
  }
});

describe('parseTop and parseStatus', () => {
  it('accepts 1..1000', () => {
    assert.equal(parseTop('1'), 1);
    assert.equal(parseTop('1000'), 1000);
  });
  for (const input of ['0', '1001', '-1', '5.5', 'ten', '']) it(`--top refuses ${JSON.stringify(input)}`, () => refuses(() => parseTop(input), /^--top/));
  it('accepts each run status', () => {
    for (const s of ['queued', 'running', 'succeeded', 'failed', 'canceled', 'timeout', 'error']) assert.equal(parseStatus(s), s);
  });
  for (const input of ['', 'Succeeded', 'done', '__proto__']) {
    it(`--status refuses ${JSON.stringify(input)}`, () => refuses(() => parseStatus(input), /^--status/, /queued, running/));
  }
});
