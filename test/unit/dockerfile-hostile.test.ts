// Hostile and oversized Dockerfiles: each must end quickly, either with the right bases or with a
// SlipwayError (400/413) that says what is wrong; never a hang, a crash or a stack overflow.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSlipwayError } from '../../src/errors.js';
import { extractBases } from '../../src/dockerfile/bases.js';
import { MAX_DOCKERFILE_BYTES, MAX_INSTRUCTION_CHARS } from '../../src/dockerfile/source.js';

/**
 * Runs `fn`, which must end: a hang or a blow-up fails the test at the runner's timeout. `ms` says what
 * is expected on a quiet machine; speed itself is for the benchmarks, not a timed assertion here.
 */
function timed<T>(_ms: number, fn: () => T): T {
  return fn();
}

function rejects(fn: () => unknown, expected: { status: number; code: string; message: RegExp }): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isSlipwayError(err), `not a SlipwayError: ${String(err)}`);
    assert.equal(err.status, expected.status);
    assert.equal(err.code, expected.code);
    assert.match(err.message, expected.message);
    return true;
  });
}

const alpine = { image: 'docker.io/library/alpine:latest', kind: 'runtime', via: 'from' } as const;

describe('extractBases on hostile input', () => {
  it('a million-line file of comments finishes fast', () => {
    const text = '\t#x\n'.repeat(20_000) + '#\n'.repeat(980_000) + 'FROM alpine\n';
    const { bases } = timed(5000, () => extractBases(text));
    assert.deepEqual(bases, [{ ...alpine, stage: '0', line: 1_000_001 }]);
  });

  it('a million blank lines', () => {
    const { bases } = timed(5000, () => extractBases('\n'.repeat(1_000_000) + 'FROM alpine\n'));
    assert.deepEqual(bases, [{ ...alpine, stage: '0', line: 1_000_001 }]);
  });

  it('a 1 MB Dockerfile of instructions is rejected as too large (413), quickly', () => {
    const text = 'FROM alpine AS base\n' + 'RUN echo hello world && apk add --no-cache curl\n'.repeat(22_000);
    assert.ok(text.length > 1_000_000);
    timed(1000, () => rejects(() => extractBases(text), { status: 413, code: 'dockerfile_too_large', message: /more than 256 KiB of instructions/ }));
  });

  it('a 1 MB Dockerfile that is mostly comments is fine', () => {
    const text = '# licence text, over and over again, to pad the file out\n'.repeat(18_000) + 'FROM alpine\nCOPY --from=busybox / /\n';
    assert.ok(text.length > 1_000_000);
    const { bases } = timed(5000, () => extractBases(text));
    assert.equal(bases.length, 2);
  });

  it('a Dockerfile just under the instruction limit parses', () => {
    const line = 'RUN echo hello world && apk add --no-cache curl\n';
    const text = 'FROM alpine\n' + line.repeat(Math.floor((MAX_INSTRUCTION_CHARS - 100) / line.length));
    const { bases } = timed(10_000, () => extractBases(text));
    assert.deepEqual(bases, [{ ...alpine, stage: '0', line: 1 }]);
  });

  it('more than 2 MiB is rejected before parsing', () => {
    const text = 'FROM alpine\n' + '#'.repeat(100) .concat('\n').repeat(Math.ceil(MAX_DOCKERFILE_BYTES / 101) + 1);
    timed(1000, () => rejects(() => extractBases(text), { status: 413, code: 'dockerfile_too_large', message: /larger than 2097152 bytes/ }));
  });

  it('a line longer than 65535 bytes is rejected, as Docker does', () => {
    rejects(() => extractBases('FROM alpine\nRUN ' + 'x'.repeat(70_000) + '\n'), { status: 400, code: 'invalid_dockerfile', message: /^Dockerfile line 2: line is longer than 65535 bytes/ });
    rejects(() => extractBases('FROM alpine\n# ' + 'é'.repeat(40_000) + '\n'), { status: 400, code: 'invalid_dockerfile', message: /^Dockerfile line 2: line is longer/ });
  });

  it('deeply nested ${A:-${B:-…}} stops with an error, not a stack overflow', () => {
    let word = 'alpine';
    for (let i = 0; i < 5000; i++) word = `\${A${i}:-${word}}`;
    assert.ok(word.length < 65_535);
    timed(1000, () => rejects(() => extractBases(`FROM ${word}\n`), { status: 400, code: 'invalid_dockerfile', message: /nested more than 32 deep/ }));
  });

  it('nesting across continuation lines too', () => {
    let word = 'alpine';
    for (let i = 0; i < 20_000; i++) word = `\${A:-${word}}`;
    const text = 'FROM ' + word.replace(/(.{1000})/g, '$1\\\n') + '\n';
    timed(2000, () => rejects(() => extractBases(text), { status: 400, code: 'invalid_dockerfile', message: /nested more than 32 deep/ }));
  });

  it('moderate nesting works', () => {
    let word = 'alpine';
    for (let i = 0; i < 30; i++) word = `\${A${i}:-${word}}`;
    assert.deepEqual(extractBases(`FROM ${word}\n`).bases, [{ ...alpine, stage: '0', line: 1 }]);
  });

  it('ARG defaults that double at each step stop at 64 KiB', () => {
    const text = 'ARG A0=xxxxxxxxxxxxxxxx\n' + Array.from({ length: 60 }, (_, i) => `ARG A${i + 1}=$A${i}$A${i}\n`).join('') + 'FROM alpine:$A60\n';
    timed(1000, () => rejects(() => extractBases(text), { status: 400, code: 'invalid_dockerfile', message: /ARG A13: expands to more than 65536 characters/ }));
  });

  it('pathological ${VAR/pattern/…} stops on a work budget (no regex backtracking)', () => {
    const value = 'a'.repeat(3000);
    timed(3000, () =>
      rejects(() => extractBases(`ARG A=${value}\nFROM alpine:\${A/*a*a*a*a*a*a*b/x}\n`), { status: 400, code: 'invalid_dockerfile', message: /too expensive/ }),
    );
    timed(3000, () =>
      rejects(() => extractBases(`ARG A=${value}\nFROM alpine:${'${A//*b/x}'.repeat(500)}\n`), { status: 400, code: 'invalid_dockerfile', message: /too expensive/ }),
    );
  });

  it('a 10 000-stage FROM chain', () => {
    const text = 'FROM alpine AS s0\n' + Array.from({ length: 10_000 }, (_, i) => `FROM s${i} AS s${i + 1}\n`).join('');
    const { bases, stages } = timed(10_000, () => extractBases(text));
    assert.deepEqual(bases, [{ ...alpine, stage: 's0', line: 1 }]);
    assert.equal(stages.length, 10_001);
  });

  it('a 5 000-stage COPY --from chain, and one that loops', () => {
    const chain = 'FROM alpine AS s0\n' + Array.from({ length: 5000 }, (_, i) => `FROM busybox AS s${i + 1}\nCOPY --from=s${i} / /\n`).join('');
    const { bases } = timed(10_000, () => extractBases(chain, { target: 's5000' }));
    assert.deepEqual(bases.map((b) => [b.image, b.kind]), [
      ['docker.io/library/busybox:latest', 'runtime'],
      ['docker.io/library/alpine:latest', 'buildtime'],
    ]);
    const loop = chain.replace('FROM alpine AS s0\n', 'FROM alpine AS s0\nCOPY --from=s5000 / /\n');
    timed(10_000, () => rejects(() => extractBases(loop, { target: 's5000' }), { status: 400, code: 'invalid_dockerfile', message: /circular dependency/ }));
  });

  it('thousands of distinct images and warnings stay bounded', () => {
    const text =
      Array.from({ length: 3000 }, (_, i) => `FROM alpine:3.${i} AS build-${i}\n`).join('') +
      'FROM build-$TARGETARCH AS pick\nFROM scratch\n' +
      Array.from({ length: 3000 }, (_, i) => `COPY --from=build-${i} / /\n`).join('') +
      Array.from({ length: 300 }, () => 'FROM alpine AS dup\n').join('');
    const result = timed(10_000, () => extractBases(text, { target: 'pick' }));
    assert.equal(result.bases.length, 3000);
    assert.ok(result.bases.every((b) => b.kind === 'runtime'));
    assert.equal(result.warnings.length, 101);
    assert.match(result.warnings[0]!, /\(build-0, build-1, .*, … 2990 more\)/);
    assert.match(result.warnings[100]!, /… and 200 more warnings/);
  });

  it('binary garbage and odd characters are bad input', () => {
    for (const text of ['\0\0\0FROM alpine\n', 'FROM alpine:\u00fc\n', 'FROM \uE000alpine\n', 'FROM alpine\n\u0007RUN\n', '\uFFFF\n']) {
      assert.throws(
        () => extractBases(text),
        (err: unknown) => isSlipwayError(err) && err.status === 400,
        JSON.stringify(text),
      );
    }
    assert.throws(() => extractBases(42 as unknown as string), (err: unknown) => isSlipwayError(err) && err.status === 400);
  });

  it('random Dockerfile-like text: a result or a SlipwayError, never anything else', () => {
    const tokens = [
      'FROM', 'from', 'AS', 'ARG', 'COPY', 'RUN', 'ONBUILD', 'alpine', 'golang:1.22', 'ghcr.io/x/y', 'scratch', 'base', 'b',
      '--from=b', '--from=0', '--from=alpine', '--mount=from=b', '--mount=type=cache,from=alpine', '--platform=$BUILDPLATFORM',
      '$V', '${V}', '${V:-x}', '${V:+y}', '${V#*}', '${V/a/b}', 'V=1', '"', "'", '\\', '`', '<<EOT', 'EOT', '#', '# escape=`',
      '\n', '\n', '\n', '\r\n', ' ', ' ', '\t', '[', ']', '=', ':', '@', '$', '{', '}',
    ];
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let parsed = 0;
    for (let n = 0; n < 3000; n++) {
      let text = n % 2 ? 'FROM alpine AS b\n' : '';
      for (let k = Math.floor(random() * 40); k > 0; k--) text += tokens[Math.floor(random() * tokens.length)] + (random() < 0.5 ? ' ' : '');
      try {
        const result = extractBases(text, n % 3 ? {} : { buildArgs: { V: 'v1', TARGETPLATFORM: 'linux/amd64' } });
        assert.ok(Array.isArray(result.bases));
        parsed++;
      } catch (err) {
        assert.ok(isSlipwayError(err), `${String(err)} for ${JSON.stringify(text)}`);
      }
    }
    assert.ok(parsed > 30, `only ${parsed} parsed`);
  });
});
