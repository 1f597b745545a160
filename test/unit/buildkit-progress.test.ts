// What a user sees of a BuildKit build: Docker's build-stream messages rendered as `--progress=plain`
// lines, and the failure summary. The fixtures are raw streams captured from Docker 20.10.24
// (BuildKit 0.8) through dockerode's buildImage({ version: '2' }), FROM a local image made of
// busybox-static. run-output (no cache) and cached (same build again) used this Dockerfile:
//   FROM slipway-test/busybox:1
//   RUN echo hi
//   RUN printf "start-" && sleep 1 && echo end && echo to-stderr >&2 && printf no-newline
//   RUN printf "caf\303" && sleep 1 && printf "\251\n"
//   COPY hello.txt /hello.txt
// failing-run: `RUN echo step-one` then `RUN echo before-fail && exit 3`; missing-base-image:
// FROM 127.0.0.1:5000/slipway-test/does-not-exist:1; dockerfile-parse-error: a `FOOBAR` instruction.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { BuildProgress, formatBytes } from '../../workers/builder/docker/buildkit-progress.js';
import { decodeStatusResponse } from '../../workers/builder/docker/buildkit-status.js';

function messages(fixture: string): unknown[] {
  const text = fs.readFileSync(new URL(`../fixtures/buildkit/${fixture}.jsonl`, import.meta.url), 'utf8');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown);
}

function render(stream: unknown[]): { lines: string[]; progress: BuildProgress } {
  const lines: string[] = [];
  const progress = new BuildProgress((line) => lines.push(line));
  for (const m of stream) progress.write(m);
  progress.finish();
  return { lines, progress };
}

/** The `#N` a step's header line got. */
function stepNumber(lines: string[], name: string): string {
  const header = lines.find((l) => l.endsWith(` ${name}`));
  assert.ok(header, `no header for ${name} in:\n${lines.join('\n')}`);
  return header.split(' ')[0]!;
}

/** The lines printed under one step, without headers. */
function linesOf(lines: string[], name: string): string[] {
  const n = stepNumber(lines, name);
  return lines.filter((l) => l.startsWith(`${n} `) && !l.endsWith(` ${name}`)).map((l) => l.slice(n.length + 1));
}

const LOG = /^\d+\.\d{1,3} /;

describe('BuildProgress on a succeeding build', () => {
  const { lines, progress } = render(messages('run-output'));

  it('prints each step under its own number, in order of first appearance', () => {
    const headers = ['[1/5] FROM docker.io/slipway-test/busybox:1', '[2/5] RUN echo hi', '[5/5] COPY hello.txt /hello.txt', 'exporting to image'];
    const numbers = headers.map((h) => Number(stepNumber(lines, h).slice(1)));
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b));
    assert.equal(lines[0], '#1 [internal] load remote build context');
  });

  it('prints RUN output with seconds since the step started, then DONE', () => {
    const out = linesOf(lines, '[2/5] RUN echo hi');
    assert.equal(out.length, 2, out.join('\n'));
    assert.match(out[0]!, /^\d\.\d{3} hi$/);
    assert.match(out[1]!, /^DONE \d+\.\ds$/);
  });

  it('joins a line written in several chunks and keeps stdout and stderr lines apart', () => {
    const out = linesOf(lines, '[3/5] RUN printf "start-" && sleep 1 && echo end && echo to-stderr >&2 && printf no-newline');
    assert.deepEqual(out.map((l) => l.replace(LOG, '')), ['start-end', 'to-stderr', 'no-newline', out.at(-1)]);
    assert.match(out.at(-1)!, /^DONE 1\.\ds$/);
  });

  it('decodes a UTF-8 character split across two log messages', () => {
    const out = linesOf(lines, '[4/5] RUN printf "caf\\303" && sleep 1 && printf "\\251\\n"');
    assert.equal(out[0]!.replace(LOG, ''), 'café');
  });

  it('prints the exporter statuses', () => {
    const out = linesOf(lines, 'exporting to image');
    assert.ok(out.includes('exporting layers 0.0s done'), out.join('\n'));
    assert.ok(out.some((l) => /^naming to docker\.io\/slipway-test\/ok:1( \d+\.\ds)? done$/.test(l)), out.join('\n'));
  });

  it('separates steps with a blank line like docker does', () => {
    const i = lines.indexOf(lines.find((l) => l.endsWith(' [2/5] RUN echo hi'))!);
    assert.equal(lines[i - 1], '');
  });

  it('reports the image id and no failure', () => {
    assert.match(progress.imageId ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(progress.failure(), undefined);
    assert.equal(progress.error, undefined);
  });

  it('prints an unfinished last line when the stream ends before the step completes', () => {
    const stream = messages('run-output');
    // Cut right after the message carrying `no-newline`, as if the connection dropped.
    const cut = stream.findIndex((m) => {
      const { id, aux } = m as { id?: string; aux?: string };
      if (id !== 'moby.buildkit.trace' || !aux) return false;
      return decodeStatusResponse(Buffer.from(aux, 'base64')).logs.some((l) => Buffer.from(l.msg).toString() === 'no-newline');
    });
    assert.ok(cut > 0);
    const { lines: partial } = render(stream.slice(0, cut + 1));
    assert.match(partial.at(-1)!, /^#\d+ 1\.\d{3} no-newline$/);
  });
});

describe('BuildProgress on a build from cache', () => {
  const { lines } = render(messages('cached'));

  it('shows CACHED for the RUN steps and prints no output for them', () => {
    for (const step of ['[2/5] RUN echo hi', '[5/5] COPY hello.txt /hello.txt']) {
      assert.deepEqual(linesOf(lines, step), ['CACHED']);
    }
  });
});

describe('BuildProgress on a failing RUN', () => {
  const { lines, progress } = render(messages('failing-run'));
  const step = '[3/3] RUN echo before-fail && exit 3';
  const error = 'executor failed running [/bin/sh -c echo before-fail && exit 3]: exit code: 3';

  it('prints the output before the ERROR line with the exit code', () => {
    const out = linesOf(lines, step);
    assert.equal(out.length, 2, out.join('\n'));
    assert.match(out[0]!, /^\d\.\d{3} before-fail$/);
    assert.equal(out[1], `ERROR: ${error}`);
    assert.equal(lines.at(-1), `${stepNumber(lines, step)} ERROR: ${error}`);
  });

  it('still shows the earlier step as DONE', () => {
    assert.match(linesOf(lines, '[2/3] RUN echo step-one').at(-1)!, /^DONE /);
  });

  it('names the failed step, its error and its output in failure()', () => {
    assert.deepEqual(progress.failure(), { step, error, output: ['before-fail'] });
    assert.equal(progress.error, error);
    assert.equal(progress.imageId, undefined);
  });
});

describe('BuildProgress.failure() before any RUN', () => {
  const cases: [fixture: string, step: string, error: RegExp][] = [
    ['missing-base-image', '[internal] load metadata for 127.0.0.1:5000/slipway-test/does-not-exist:1', /does-not-exist:1: not found$/],
    // A Dockerfile the frontend rejects fails no vertex: only the stream-level error says why.
    ['dockerfile-parse-error', '', /dockerfile parse error line 2: unknown instruction: FOOBAR$/],
  ];
  for (const [fixture, step, error] of cases) {
    it(fixture, () => {
      const failure = render(messages(fixture)).progress.failure();
      assert.ok(failure);
      assert.equal(failure.step, step);
      assert.match(failure.error, error);
      assert.deepEqual(failure.output, []);
    });
  }
});

describe('BuildProgress with messages it does not understand', () => {
  // Undecodable BuildKit status is worth one warning line; anything else unknown is skipped silently.
  const garbage: [what: string, message: unknown, warnings: number][] = [
    ['aux that is not base64', { id: 'moby.buildkit.trace', aux: '%%% not base64 %%%' }, 1],
    ['aux that is not a protobuf', { id: 'moby.buildkit.trace', aux: Buffer.from([0xff, 0xff, 0xff, 0xff]).toString('base64') }, 1],
    ['aux that is truncated', { id: 'moby.buildkit.trace', aux: (messages('failing-run')[1] as { aux: string }).aux.slice(0, 40) }, 1],
    ['aux of the wrong type', { id: 'moby.buildkit.trace', aux: 42 }, 0],
    ['an unknown id', { id: 'moby.something.new', aux: {} }, 0],
    ['legacy builder output', { stream: 'Step 1/2 : FROM scratch\n' }, 0],
    ['null', null, 0],
    ['a string', 'hello', 0],
  ];
  for (const [what, message, warnings] of garbage) {
    it(`survives ${what}`, () => {
      const lines: string[] = [];
      const progress = new BuildProgress((line) => lines.push(line));
      assert.doesNotThrow(() => progress.write(message));
      progress.finish();
      assert.equal(lines.length, warnings, lines.join('\n'));
      for (const line of lines) assert.match(line, /^WARN: ignored undecodable BuildKit status: /);
      assert.equal(progress.failure(), undefined);
    });
  }

  it('keeps rendering the real stream after garbage', () => {
    const stream = messages('failing-run');
    const { lines } = render([{ id: 'moby.buildkit.trace', aux: 'AAAA////' }, ...stream]);
    assert.deepEqual(lines.filter((l) => !l.startsWith('WARN: ')), render(stream).lines);
  });
});

// missing-cache: FROM 127.0.0.1:5000/base/busybox:amd64, RUN echo hi > /x, built through POST /build with
// cachefrom naming an image the registry does not have; the Engine finished the build.
describe('BuildProgress on a build whose --cache-from image is missing', () => {
  const { lines, progress } = render(messages('missing-cache'));

  it('is not a failure: BuildKit builds without that cache', () => {
    assert.equal(progress.failure(), undefined);
  });

  it('still shows the cache import error in the log', () => {
    assert.ok(lines.some((l) => /^#\d+ ERROR: 127\.0\.0\.1:5000\/slipway-test\/no-cache-here:1: not found$/.test(l)), lines.join('\n'));
  });
});

describe('decodeStatusResponse', () => {
  it('decodes vertexes with their digests, names and timestamps', () => {
    const done = messages('failing-run')
      .filter((m) => (m as { id?: string }).id === 'moby.buildkit.trace')
      .map((m) => decodeStatusResponse(Buffer.from((m as { aux: string }).aux, 'base64')))
      .flatMap((s) => s.vertexes)
      .find((v) => v.error);
    assert.ok(done);
    assert.match(done.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(done.inputs.length, 1);
    assert.equal(done.name, '[3/3] RUN echo before-fail && exit 3');
    assert.ok(done.started instanceof Date && done.completed instanceof Date);
    assert.ok(done.completed.getTime() >= done.started.getTime());
  });
});

describe('formatBytes', () => {
  const cases: [bytes: number, text: string][] = [
    [0, '0B'], [37, '37B'], [999, '999B'], [1000, '1.00kB'], [2010, '2.01kB'], [1_500_000, '1.50MB'], [3_000_000_000, '3.00GB'],
  ];
  for (const [bytes, text] of cases) it(`${bytes} → ${text}`, () => assert.equal(formatBytes(bytes), text));
});
