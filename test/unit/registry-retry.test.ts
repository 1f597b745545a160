// Table tests of the retry decision: which answers are retried, how long to wait, Retry-After parsing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs, isRetryableStatus, parseRetryAfter, retryDelayMs, type AttemptOutcome } from '../../src/registry/retry.js';

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 30_000 };
const NOW = Date.parse('2026-01-01T00:00:00Z');
const half = () => 0.5;

describe('isRetryableStatus', () => {
  const table: [number, boolean][] = [
    [200, false], [201, false], [202, false], [204, false], [301, false], [304, false],
    [400, false], [401, false], [403, false], [404, false], [405, false], [409, false], [413, false], [416, false],
    [408, true], [429, true],
    [500, true], [501, false], [502, true], [503, true], [504, true], [505, false], [507, true], [599, true],
  ];
  for (const [status, expected] of table) {
    it(`${status} → ${expected ? 'retry' : 'outcome'}`, () => assert.equal(isRetryableStatus(status), expected));
  }
});

describe('parseRetryAfter', () => {
  const table: [string | null | undefined, number | undefined][] = [
    [null, undefined],
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    ['1', 1000],
    ['120', 120_000],
    [' 5 ', 5000],
    ['999999999', 86_400_000],
    ['-1', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['2024', 2_024_000],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    ['Thu, 01 Jan 2026 00:01:00 GMT', 60_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['Thursday, 01-Jan-26 00:00:30 GMT', 30_000],
    ['Thu Jan  1 00:00:05 2026', 5000],
    ['Thu, 99 Foo 2026 00:00:00 GMT', undefined],
  ];
  for (const [value, expected] of table) {
    it(`${JSON.stringify(value)} → ${expected}`, () => assert.equal(parseRetryAfter(value, NOW), expected));
  }
});

describe('backoffDelayMs', () => {
  it('doubles from the base, with half of it jittered', () => {
    assert.equal(backoffDelayMs(1, policy, () => 0), 50);
    assert.equal(backoffDelayMs(1, policy, () => 1), 100);
    assert.equal(backoffDelayMs(2, policy, half), 150);
    assert.equal(backoffDelayMs(3, policy, () => 1), 400);
  });
  it('is capped by maxDelayMs', () => {
    assert.equal(backoffDelayMs(30, policy, () => 1), 1000);
    assert.equal(backoffDelayMs(1000, policy, () => 1), 1000);
  });
  it('spreads: random values give different delays within [exp/2, exp]', () => {
    const seen = new Set<number>();
    for (let n = 0; n < 50; n++) {
      const d = backoffDelayMs(3, policy);
      assert.ok(d >= 200 && d <= 400, `delay ${d}`);
      seen.add(d);
    }
    assert.ok(seen.size > 1);
  });
});

describe('retryDelayMs', () => {
  const table: [name: string, outcome: AttemptOutcome, attempt: number, expected: number | undefined][] = [
    ['200 is an outcome', { status: 200 }, 1, undefined],
    ['401 is an outcome', { status: 401 }, 1, undefined],
    ['403 is an outcome', { status: 403 }, 1, undefined],
    ['404 is an outcome', { status: 404 }, 1, undefined],
    ['401 with Retry-After is still an outcome', { status: 401, retryAfter: '1' }, 1, undefined],
    ['503 backs off', { status: 503 }, 1, 75],
    ['500 backs off more on attempt 2', { status: 500 }, 2, 150],
    ['429 honours Retry-After seconds', { status: 429, retryAfter: '3' }, 1, 3000],
    ['503 honours a Retry-After date', { status: 503, retryAfter: 'Thu, 01 Jan 2026 00:00:07 GMT' }, 1, 7000],
    ['429 with an unparsable Retry-After backs off', { status: 429, retryAfter: 'later' }, 1, 75],
    ['429 with Retry-After 0 retries at once', { status: 429, retryAfter: '0' }, 1, 0],
    ['a Retry-After past the limit is not waited for', { status: 429, retryAfter: '3600' }, 1, undefined],
    ['network error backs off', { networkError: true }, 1, 75],
    ['attempts used up (503)', { status: 503 }, 4, undefined],
    ['attempts used up (network)', { networkError: true }, 4, undefined],
    ['501 is not retried', { status: 501 }, 1, undefined],
  ];
  for (const [name, outcome, attempt, expected] of table) {
    it(name, () => assert.equal(retryDelayMs(outcome, attempt, policy, NOW, half), expected));
  }
  it('attempts: 1 never retries', () => {
    assert.equal(retryDelayMs({ status: 503 }, 1, { attempts: 1, baseDelayMs: 10 }, NOW, half), undefined);
  });
});
