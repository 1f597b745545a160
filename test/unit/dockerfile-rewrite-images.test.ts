// Table tests of the FROM / COPY --from rewrite a build step uses to build on its run's own images: which
// words change (after ARG and build-arg substitution, in the stages built), and that everything else in the
// file (comments, continuations, heredocs, line numbers, stage references) is left as written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExtractBasesOptions } from '../../src/dockerfile/bases.js';
import { DockerfileError } from '../../src/dockerfile/errors.js';
import { rewriteImages } from '../../src/dockerfile/rewrite-images.js';

const df = (...lines: string[]) => lines.join('\n') + '\n';
const BASE = '127.0.0.1:5000/x/base:r1';
const LOCAL = 'slipway-run/p-r1:0123abcd';
const local = (image: string) => (image === BASE ? LOCAL : undefined);

interface Case {
  name: string;
  dockerfile: string;
  opts?: ExtractBasesOptions;
  expected: string;
  pulled?: string[];
}

const cases: Case[] = [
  { name: 'a plain FROM', dockerfile: df(`FROM ${BASE}`, 'RUN true'), expected: df(`FROM ${LOCAL}`, 'RUN true'), pulled: [] },
  {
    name: 'FROM with AS and --platform, the stage name kept',
    dockerfile: df(`FROM --platform=linux/amd64 ${BASE} AS base`, 'RUN true'),
    expected: df(`FROM --platform=linux/amd64 ${LOCAL} AS base`, 'RUN true'),
  },
  {
    name: 'a build arg through a global ARG',
    dockerfile: df('ARG BASE=busybox', 'FROM ${BASE}', 'RUN true'),
    opts: { buildArgs: { BASE } },
    expected: df('ARG BASE=busybox', `FROM ${LOCAL}`, 'RUN true'),
  },
  {
    name: 'an ARG default, no build arg',
    dockerfile: df(`ARG BASE=${BASE}`, 'FROM $BASE'),
    expected: df(`ARG BASE=${BASE}`, `FROM ${LOCAL}`),
  },
  {
    name: 'the same ARG naming another image: nothing replaced',
    dockerfile: df('ARG BASE=busybox', 'FROM ${BASE}'),
    expected: df('ARG BASE=busybox', 'FROM ${BASE}'),
    pulled: ['docker.io/library/busybox:latest'],
  },
  {
    name: 'a later stage FROM an earlier stage is not an image, whatever images the run built',
    dockerfile: df(`FROM ${BASE} AS base`, 'FROM base', 'RUN true'),
    expected: df(`FROM ${LOCAL} AS base`, 'FROM base', 'RUN true'),
  },
  {
    name: 'several stages: only the run-local ones change, the others are pulled',
    dockerfile: df('FROM golang:1.22 AS build', 'RUN go build', `FROM ${BASE}`, 'COPY --from=build /app /app'),
    expected: df('FROM golang:1.22 AS build', 'RUN go build', `FROM ${LOCAL}`, 'COPY --from=build /app /app'),
    pulled: ['docker.io/library/golang:1.22'],
  },
  {
    name: 'comments, a continuation and a comment inside it kept, line numbers unchanged',
    dockerfile: df('# the app', 'FROM \\', '# the base', `  ${BASE} \\`, '  AS app', 'RUN echo \\', '  hi'),
    expected: df('# the app', 'FROM \\', '# the base', `  ${LOCAL} \\`, '  AS app', 'RUN echo \\', '  hi'),
  },
  {
    name: 'a word that only contains the name is not the name',
    dockerfile: df(`FROM ${BASE}`, `RUN echo ${BASE}`),
    expected: df(`FROM ${LOCAL}`, `RUN echo ${BASE}`),
  },
  {
    name: 'COPY --from an image of the run, quoted or not',
    dockerfile: df('FROM busybox', `COPY --from=${BASE} /a /a`, `COPY --chown=1 --from="${BASE}" /b /b`),
    expected: df('FROM busybox', `COPY --from=${LOCAL} /a /a`, `COPY --chown=1 --from=${LOCAL} /b /b`),
    pulled: ['docker.io/library/busybox:latest'],
  },
  {
    name: 'a stage the target does not need is left alone',
    dockerfile: df(`FROM ${BASE} AS unused`, 'FROM busybox AS app'),
    opts: { target: 'app' },
    expected: df(`FROM ${BASE} AS unused`, 'FROM busybox AS app'),
    pulled: ['docker.io/library/busybox:latest'],
  },
  {
    name: 'heredoc bodies are not instructions',
    dockerfile: df(`FROM ${BASE}`, 'COPY <<EOF /x', `FROM ${BASE}`, 'EOF'),
    expected: df(`FROM ${LOCAL}`, 'COPY <<EOF /x', `FROM ${BASE}`, 'EOF'),
  },
  {
    name: 'the backtick escape directive',
    dockerfile: df('# escape=`', 'FROM `', `  ${BASE}`),
    expected: df('# escape=`', 'FROM `', `  ${LOCAL}`),
  },
];

describe('rewriteImages', () => {
  for (const c of cases) {
    it(c.name, () => {
      const out = rewriteImages(c.dockerfile, c.opts ?? {}, local);
      assert.equal(out.text, c.expected);
      if (c.pulled) assert.deepEqual(out.pulled.map((u) => u.image), c.pulled);
    });
  }

  it('says what it replaced, on which line', () => {
    const out = rewriteImages(df('ARG B', 'FROM busybox AS b', `FROM \${B}`, `COPY --from=${BASE} / /`), { buildArgs: { B: BASE } }, local);
    assert.deepEqual(
      out.replaced.map((r) => [r.via, r.line, r.image, r.replacement]),
      [
        ['from', 3, BASE, LOCAL],
        ['copy-from', 4, BASE, LOCAL],
      ],
    );
  });

  it('leaves a RUN --mount from= and an ONBUILD source naming a run image to the caller', () => {
    const out = rewriteImages(df(`FROM busybox AS parent`, `ONBUILD COPY --from=${BASE} / /`, 'FROM parent', `RUN --mount=type=bind,from=${BASE},target=/b true`), {}, local);
    assert.deepEqual(
      out.unreplaceable.map((u) => [u.via, u.line, u.onbuild ?? false]),
      [
        ['mount-from', 4, false],
        ['copy-from', 2, true],
      ],
    );
    assert.equal(out.replaced.length, 0);
  });

  it('refuses an image name split over a continuation rather than guessing', () => {
    assert.throws(() => rewriteImages(df('FROM 127.0.0.1:5000/x/\\', 'base:r1'), {}, local), DockerfileError);
  });

  it('a Dockerfile without a final newline stays without one', () => {
    assert.equal(rewriteImages(`FROM ${BASE}`, {}, local).text, `FROM ${LOCAL}`);
  });
});
