// What the CLI shows and how it exits: exit codes for each kind of failure, run outcome lines, image
// references, the progress bar and the runs table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config.js';
import { BadInputError } from '../../src/errors.js';
import { ApiError, ApiUnreachableError, InterruptedError, ProtocolError, UsageError } from '../../src/cli/errors.js';
import { ExitCode, RunNotSucceededError, exitFor } from '../../src/cli/exit.js';
import { formatAge, formatBytes, formatImageRef, renderTable } from '../../src/cli/format.js';
import { renderBar } from '../../src/cli/progress-bar.js';

describe('exitFor', () => {
  const cases: [string, unknown, number, RegExp][] = [
    ['a usage error', new UsageError('--timeout "x": bad'), ExitCode.usage, /^--timeout "x": bad$/],
    ['bad configuration', new ConfigError('invalid configuration: SLIPWAY_SERVER'), ExitCode.usage, /SLIPWAY_SERVER/],
    ['bad input from the packer', new BadInputError('Dockerfile not found: /x/Dockerfile'), ExitCode.usage, /Dockerfile not found/],
    ['an API 400', new ApiError(400, 'invalid_body', 'images.0: bad name'), ExitCode.usage, /^images\.0: bad name$/],
    ['an API 404', new ApiError(404, 'run_not_found', 'no run r1'), ExitCode.usage, /^no run r1$/],
    ['an API 409', new ApiError(409, 'run_finished', 'run r1 already succeeded'), ExitCode.usage, /already succeeded/],
    ['an API 413', new ApiError(413, 'context_too_large', 'too big'), ExitCode.usage, /too big/],
    ['an API 500', new ApiError(500, 'internal', 'internal error; see the API log'), ExitCode.apiUnavailable, /internal error/],
    ['an API 503', new ApiError(503, 'unavailable', 'redis is down'), ExitCode.apiUnavailable, /redis is down/],
    [
      'no connection',
      new ApiUnreachableError('http://127.0.0.1:8080', 'connect ECONNREFUSED 127.0.0.1:8080'),
      ExitCode.apiUnavailable,
      /^cannot reach the Slipway API at http:\/\/127\.0\.0\.1:8080: connect ECONNREFUSED 127\.0\.0\.1:8080; start it with npm run up or pass --server$/,
    ],
    ['a strange answer', new ProtocolError('unexpected answer'), ExitCode.apiUnavailable, /unexpected answer/],
    ['a failed run', new RunNotSucceededError({ id: 'cb3', status: 'failed', error: 'RUN make: exit 2' }), ExitCode.runNotSucceeded, /^run cb3 failed: RUN make: exit 2$/],
    ['a run that timed out', new RunNotSucceededError({ id: 'cb3', status: 'timeout' }), ExitCode.runNotSucceeded, /^run cb3 timed out$/],
    ['a canceled run', new RunNotSucceededError({ id: 'cb3', status: 'canceled' }), ExitCode.runNotSucceeded, /^run cb3 was canceled$/],
    ['Ctrl-C before a run', new InterruptedError(), ExitCode.interrupted, /before a run was submitted/],
    ['Ctrl-C during a run', new InterruptedError('cb3'), ExitCode.interrupted, /run cb3 is being canceled/],
    ['Ctrl-C and a failed cancel', new InterruptedError('cb3', 'no answer'), ExitCode.interrupted, /could not cancel run cb3 \(no answer\); try: slipway runs cancel cb3/],
    ['anything else', new Error('boom'), ExitCode.runNotSucceeded, /^unexpected error: boom$/],
  ];
  for (const [name, err, code, message] of cases) {
    it(name, () => {
      const exit = exitFor(err);
      assert.equal(exit.code, code);
      assert.match(exit.message, message);
    });
  }

  it('keeps the message on one line', () => {
    const exit = exitFor(new RunNotSucceededError({ id: 'r1', status: 'error', error: 'line one\r\nline two\n' }));
    assert.equal(exit.message, 'run r1 ended in an error: line one line two');
  });
});

describe('formatImageRef', () => {
  it('pins the digest', () => {
    const image = { registry: '127.0.0.1:5000', repository: 'team/app', tag: '1.0', digest: `sha256:${'a'.repeat(64)}` };
    assert.equal(formatImageRef(image), `127.0.0.1:5000/team/app:1.0@sha256:${'a'.repeat(64)}`);
    assert.equal(formatImageRef({ ...image, tag: '' }), `127.0.0.1:5000/team/app@sha256:${'a'.repeat(64)}`);
  });
});

describe('formatting', () => {
  for (const [bytes, text] of [[0, '0 B'], [1023, '1023 B'], [1024, '1.0 KiB'], [5 * 1024 ** 2 + 1, '5.0 MiB'], [3 * 1024 ** 3, '3.0 GiB']] as const) {
    it(`${bytes} bytes → ${text}`, () => assert.equal(formatBytes(bytes), text));
  }

  it('says how long ago', () => {
    const now = Date.parse('2024-01-02T00:00:00Z');
    assert.equal(formatAge('2024-01-01T23:59:59Z', now), '1 second ago');
    assert.equal(formatAge('2024-01-01T23:58:00Z', now), '2 minutes ago');
    assert.equal(formatAge('2024-01-01T00:00:00Z', now), '1 day ago');
    assert.equal(formatAge('not a date', now), 'not a date');
  });

  it('aligns table columns', () => {
    assert.equal(renderTable(['ID', 'STATUS'], [['r1', 'queued'], ['r0000002', 'failed']]), 'ID        STATUS\nr1        queued\nr0000002  failed');
  });
});

describe('renderBar', () => {
  it('keeps the same width as it fills, within the terminal', () => {
    const lines = [0, 1, 512 * 1024, 1024 ** 2 * 9.5, 10 * 1024 ** 2].map((done) => renderBar('Uploading context', done, 10 * 1024 ** 2, 80));
    assert.equal(new Set(lines.map((l) => l.length)).size, 1, lines.join('\n'));
    assert.ok(lines.every((l) => l.length < 80));
    assert.match(lines[0]!, /\[\.+\]\s+0%/);
    assert.match(lines[4]!, /\[#+\] 100%/);
  });

  it('drops the bar on a narrow terminal and never overflows', () => {
    for (const columns of [1, 10, 30, 50]) assert.ok(renderBar('Uploading context', 5, 10, columns).length < Math.max(columns, 1));
  });

  it('copes with done past the total and an empty total', () => {
    assert.match(renderBar('x', 20, 10, 80), /100%/);
    assert.match(renderBar('x', 0, 0, 80), /100%/);
  });
});
