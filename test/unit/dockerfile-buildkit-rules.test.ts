// BuildKit's own rules for reading a Dockerfile, one table row per case, each naming the rule it checks and
// where that rule comes from: BuildKit's code (moby/buildkit frontend/dockerfile/parser, shell/lex.go,
// dockerfile2llb/convert.go, platform.go), and, where Docker 20.10's built-in frontend has the rule too, a
// real `DOCKER_BUILDKIT=1 docker build` on the Engine here ("Engine"). Heredocs postdate that frontend, so
// their rows rest on the code alone.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { deps } from '../../src/cli/commands/deps.js';
import type { CliIo } from '../../src/cli/io.js';
import { type ExtractBasesOptions, extractBases } from '../../src/dockerfile/bases.js';
import { isSlipwayError } from '../../src/errors.js';

const df = (...lines: string[]) => lines.join('\n') + '\n';
const hub = (name: string) => `docker.io/library/${name}`;

/** A base as `image kind line [platform]`. */
type Row = string;

interface Case {
  rule: string;
  dockerfile: string;
  opts?: ExtractBasesOptions;
  bases?: Row[];
  error?: RegExp;
  line?: number;
}

const row = (image: string, kind: 'runtime' | 'buildtime', line: number, platform?: string): Row => [image, kind, line, ...(platform ? [platform] : [])].join(' ');

const cases: Case[] = [
  // --- heredocs (parser.go Parse: bodies are read raw up to the terminator; heredocsFromLine, reHeredoc;
  // shell/lex.go processPossibleHeredoc)
  {
    rule: 'a body line ending in \\; is body, not a continuation (bodies are read raw)',
    dockerfile: df('FROM alpine', 'RUN <<EOF', 'find /tmp -name "*.o" -exec rm {} \\;', 'EOF', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 5)],
  },
  {
    rule: 'a body line ending in the escape token does not join the terminator',
    dockerfile: df('FROM alpine', 'RUN <<EOF', 'echo a \\', 'EOF', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 5)],
  },
  {
    rule: '<< EOF: spaces after << belong to the heredoc word (processPossibleHeredoc)',
    dockerfile: df('FROM alpine', 'RUN << EOF', 'FROM evil', 'EOF', 'COPY --from=busybox / /'),
    bases: [row(hub('alpine:latest'), 'runtime', 1), row(hub('busybox:latest'), 'buildtime', 5)],
  },
  {
    rule: '3<<EOF: a file-descriptor prefix (reHeredoc ^(\\d*)<<)',
    dockerfile: df('FROM alpine', 'RUN 3<<EOF cat /dev/fd/3', 'FROM evil', 'EOF', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 5)],
  },
  {
    rule: '<<E"O"F: the terminator is the word with its quotes removed',
    dockerfile: df('FROM alpine', 'RUN <<E"O"F', 'E"O"F', 'FROM evil', 'EOF', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 6)],
  },
  {
    rule: "<<'EOF' and <<-\"EOF\": quoted, and chomped (leading tabs off the terminator)",
    dockerfile: df('FROM alpine', "COPY <<'EOF' /x", 'FROM evil', 'EOF', 'RUN <<-"EOF"', '\tFROM evil2', '\t\tEOF', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 8)],
  },
  {
    rule: 'two heredocs on one line: the bodies follow one another',
    dockerfile: df('FROM alpine', 'COPY <<A <<B /dir/', 'FROM evil', 'A', 'FROM evil2', 'B', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 7)],
  },
  {
    rule: 'a heredoc opened on a continuation line: the body starts after the joined instruction',
    dockerfile: df('FROM alpine', 'RUN --mount=type=cache,target=/c \\', '  <<EOF', 'FROM evil', 'EOF', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 6)],
  },
  {
    rule: 'ONBUILD RUN <<EOF has a heredoc (canContainHeredoc looks at the trigger)',
    dockerfile: df('FROM alpine', 'ONBUILD RUN <<EOF', 'FROM evil', 'EOF', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 5)],
  },
  {
    rule: 'ADD takes heredocs too (heredocDirectives: ADD, COPY, RUN)',
    dockerfile: df('FROM alpine', 'add <<EOF /x', 'FROM evil', 'EOF', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 5)],
  },
  {
    rule: 'an ONBUILD trigger in exec form takes no heredoc',
    dockerfile: df('FROM alpine AS a', 'ONBUILD RUN ["cat", "<<EOF"]', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 3)],
  },
  {
    rule: 'no heredocs in the exec (JSON) form of RUN',
    dockerfile: df('FROM alpine AS a', 'RUN ["sh", "-c", "cat <<EOF"]', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 3)],
  },
  {
    rule: 'no heredocs in the exec (JSON) form of COPY',
    dockerfile: df('FROM alpine AS a', 'COPY ["<<EOF", "/x"]', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 3)],
  },
  {
    rule: 'an escaped \\<<EOF is not a heredoc: the next FROM is an instruction',
    dockerfile: df('FROM alpine AS a', 'RUN cat \\<<EOF', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 3)],
  },
  {
    rule: 'a quoted "<<EOF" is not a heredoc',
    dockerfile: df('FROM alpine AS a', 'RUN echo "<<EOF"', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 3)],
  },
  {
    rule: 'cat<<EOF (no space before <<) is not a heredoc: the word must start with [fd]<<',
    dockerfile: df('FROM alpine AS a', 'RUN cat<<EOF', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 3)],
  },
  {
    rule: 'an unterminated quote on the line means no heredoc words at all (ProcessWords fails)',
    dockerfile: df('FROM alpine AS a', "RUN echo it's <<EOF", 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 3)],
  },
  {
    rule: 'the heredoc lexer escapes with \\ even under # escape=`',
    dockerfile: df('# escape=`', 'FROM alpine AS a', 'RUN echo \\<<EOF', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 4)],
  },
  {
    rule: 'a terminator must match the whole line: "EOF " does not end the body',
    dockerfile: df('FROM alpine', 'RUN <<EOF', 'EOF ', 'FROM evil'),
    error: /unterminated heredoc/,
    line: 2,
  },

  // --- line continuation (parser.go lineContinuationRegex `([^\\])\\[ \t]*$|^\\[ \t]*$`; Engine)
  {
    rule: 'ENV C trailing\\\\: an escaped backslash at the end ends the instruction (Engine)',
    dockerfile: df('FROM alpine', 'ENV C trailing\\\\', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 3)],
  },
  {
    rule: 'three backslashes at the end: still no continuation (Engine)',
    dockerfile: df('FROM alpine', 'ENV C trailing\\\\\\', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 3)],
  },
  {
    rule: 'a line that is only the escape token continues',
    dockerfile: df('FROM alpine AS a', 'ENV C \\', '\\', '  x', 'FROM busybox'),
    bases: [row(hub('busybox:latest'), 'runtime', 5)],
  },

  // --- platforms (platform.go defaultArgs, buildPlatformOpt; convert.go: a stage without --platform is built
  // for the target platform)
  {
    rule: 'an image pulled for $BUILDPLATFORM and for the target platform is two bases',
    dockerfile: df('FROM --platform=$BUILDPLATFORM golang:1.22 AS build', 'FROM golang:1.22', 'COPY --from=build /x /x'),
    opts: { platform: 'linux/arm64', buildPlatform: 'linux/amd64' },
    bases: [row(hub('golang:1.22'), 'runtime', 2), row(hub('golang:1.22'), 'buildtime', 1, 'linux/amd64')],
  },
  {
    rule: 'the same image and platform twice is one base',
    dockerfile: df('FROM --platform=$BUILDPLATFORM golang:1.22 AS build', 'FROM golang:1.22', 'COPY --from=build /x /x'),
    opts: { platform: 'linux/amd64', buildPlatform: 'linux/amd64' },
    bases: [row(hub('golang:1.22'), 'runtime', 2)],
  },
  {
    rule: 'COPY --from=<image> pulls for the target platform, beside the same image for the build platform',
    dockerfile: df('FROM --platform=$BUILDPLATFORM alpine AS tools', 'FROM scratch', 'COPY --from=tools / /t', 'COPY --from=alpine / /a'),
    opts: { platform: 'linux/arm64', buildPlatform: 'linux/amd64' },
    bases: [row(hub('alpine:latest'), 'buildtime', 1, 'linux/amd64'), row(hub('alpine:latest'), 'buildtime', 4)],
  },
  {
    rule: 'BUILDARCH and TARGETARCH come from the build and target platforms',
    dockerfile: df('FROM --platform=$BUILDPLATFORM tools:${BUILDARCH} AS t', 'FROM base:${TARGETARCH}', 'COPY --from=t / /'),
    opts: { platform: 'linux/arm64', buildPlatform: 'linux/amd64' },
    bases: [row(hub('base:arm64'), 'runtime', 2), row(hub('tools:amd64'), 'buildtime', 1, 'linux/amd64')],
  },

  // --- global ARGs (convert.go buildMetaArgs: defaults expand with unset names as '', a build arg wins over
  // a default, a default wins over the automatic platform values)
  {
    rule: 'ARG TAG=${BASE_TAG} with BASE_TAG unset is empty, so ${TAG:-3.19} is 3.19 (Engine)',
    dockerfile: df('ARG BASE_TAG', 'ARG TAG=${BASE_TAG}', 'FROM alpine:${TAG:-3.19}'),
    bases: [row(hub('alpine:3.19'), 'runtime', 3)],
  },
  {
    rule: 'the same with BASE_TAG never declared',
    dockerfile: df('ARG TAG=${BASE_TAG}', 'FROM alpine:${TAG:-3.19}'),
    bases: [row(hub('alpine:3.19'), 'runtime', 2)],
  },
  {
    rule: 'a build arg reaches the default built from it',
    dockerfile: df('ARG BASE_TAG', 'ARG TAG=${BASE_TAG}', 'FROM alpine:${TAG:-3.19}'),
    opts: { buildArgs: { BASE_TAG: '3.20' } },
    bases: [row(hub('alpine:3.20'), 'runtime', 3)],
  },
  {
    rule: '${TAG-3.19} keeps the empty value (TAG is set): reported, naming the ARG to pass',
    dockerfile: df('ARG BASE_TAG', 'ARG TAG=${BASE_TAG}', 'FROM alpine:${TAG-3.19}'),
    error: /\$TAG is built from \$BASE_TAG, which has no value.*--build-arg BASE_TAG=/,
    line: 3,
  },
  {
    rule: 'a default built from an unset ARG keeps its other text: ${TAG:-latest} is "3.", reported as built from $V',
    dockerfile: df('ARG V', 'ARG TAG=3.${V}', 'FROM alpine:${TAG:-latest}'),
    error: /\$TAG is built from \$V/,
    line: 3,
  },
  {
    rule: 'a global ARG TARGETPLATFORM default wins over the build\'s platform (Engine)',
    dockerfile: df('ARG TARGETPLATFORM=linux/arm64', 'FROM --platform=$TARGETPLATFORM alpine'),
    opts: { platform: 'linux/amd64' },
    bases: [row(hub('alpine:latest'), 'runtime', 2, 'linux/arm64')],
  },
  {
    rule: 'a TARGETPLATFORM build arg wins over that default (Engine)',
    dockerfile: df('ARG TARGETPLATFORM=linux/arm64', 'FROM --platform=$TARGETPLATFORM alpine'),
    opts: { platform: 'linux/amd64', buildArgs: { TARGETPLATFORM: 'linux/s390x' } },
    bases: [row(hub('alpine:latest'), 'runtime', 2, 'linux/s390x')],
  },
  {
    rule: 'an ARG TARGETPLATFORM default leaves TARGETARCH the build\'s (defaultArgs sets each name apart)',
    dockerfile: df('ARG TARGETPLATFORM=linux/arm64', 'FROM alpine:${TARGETARCH}'),
    opts: { platform: 'linux/amd64' },
    bases: [row(hub('alpine:amd64'), 'runtime', 2)],
  },
  {
    rule: 'ARG TARGETPLATFORM with no default keeps the build\'s platform (buildMetaArgs skips a nil value)',
    dockerfile: df('ARG TARGETPLATFORM', 'FROM --platform=$TARGETPLATFORM alpine'),
    opts: { platform: 'linux/arm64' },
    bases: [row(hub('alpine:latest'), 'runtime', 2, 'linux/arm64')],
  },

  // --- stage references (convert.go: addState looks FROM up by its exact text among lower-cased names;
  // findStateByName lower-cases --from, from= and --target)
  {
    rule: 'FROM Build does not name stage "build": it is an image, and an invalid one (Engine)',
    dockerfile: df('FROM alpine AS build', 'FROM Build'),
    error: /invalid image reference "Build".*lowercase/,
    line: 2,
  },
  {
    rule: 'COPY --from=BUILD names stage "build" (Engine)',
    dockerfile: df('FROM golang:1.22 AS build', 'FROM alpine', 'COPY --from=BUILD /x /x'),
    bases: [row(hub('alpine:latest'), 'runtime', 2), row(hub('golang:1.22'), 'buildtime', 1)],
  },
  {
    rule: 'RUN --mount=from=BUILD names stage "build" (Engine)',
    dockerfile: df('FROM golang:1.22 AS build', 'FROM alpine', 'RUN --mount=from=BUILD,target=/m true'),
    bases: [row(hub('alpine:latest'), 'runtime', 2), row(hub('golang:1.22'), 'buildtime', 1)],
  },
  {
    rule: '--target BUILD names stage "build" (Engine)',
    dockerfile: df('FROM golang:1.22 AS build', 'FROM alpine'),
    opts: { target: 'BUILD' },
    bases: [row(hub('golang:1.22'), 'runtime', 1)],
  },
  {
    rule: 'COPY --from a later stage is refused (dispatch order; dockerfile ≥ 1.10, the Engine\'s older frontend allows it)',
    dockerfile: df('FROM alpine AS a', 'COPY --from=b / /', 'FROM busybox AS b'),
    opts: { target: 'a' },
    error: /cannot copy from stage "b", it needs to be defined before current stage "a"/,
    line: 2,
  },
  {
    rule: 'RUN --mount=from= a later stage is refused',
    dockerfile: df('FROM alpine AS a', 'RUN --mount=from=b,target=/m true', 'FROM busybox AS b', 'FROM a'),
    error: /cannot mount from stage "b"/,
    line: 2,
  },
  {
    rule: 'a later-stage reference in a stage the build does not run is no error (only reachable stages dispatch)',
    dockerfile: df('FROM alpine AS a', 'COPY --from=b / /', 'FROM busybox AS b'),
    bases: [row(hub('busybox:latest'), 'runtime', 3)],
  },

  // --- image names (distribution/reference: a domain keeps its case)
  {
    rule: 'the registry host keeps its case (Engine: it pulled LOCALHOST:5000/…)',
    dockerfile: df('FROM LOCALHOST:5000/base/busybox', 'COPY --from=Registry.Example.com/team/app:1 / /'),
    bases: [row('LOCALHOST:5000/base/busybox:latest', 'runtime', 1), row('Registry.Example.com/team/app:1', 'buildtime', 2)],
  },
  {
    rule: 'Docker Hub names are still normalised',
    dockerfile: df('FROM index.docker.io/library/alpine'),
    bases: [row(hub('alpine:latest'), 'runtime', 1)],
  },
];

describe('Dockerfiles read by BuildKit\'s rules', () => {
  for (const c of cases) {
    it(c.rule, () => {
      if (c.error) {
        assert.throws(
          () => extractBases(c.dockerfile, c.opts),
          (err: unknown) => {
            assert.ok(isSlipwayError(err), `not a SlipwayError: ${String(err)}`);
            assert.match(err.message, c.error!);
            if (c.line !== undefined) assert.equal((err as { line?: number }).line, c.line);
            return true;
          },
        );
        return;
      }
      const { bases } = extractBases(c.dockerfile, c.opts);
      assert.deepEqual(
        bases.map((b) => row(b.image, b.kind, b.line, b.platform)),
        c.bases,
      );
    });
  }
});

/** `slipway deps --json` on a Dockerfile, run as on a Mac with Apple silicon. */
async function depsOnMac(t: { after(fn: () => Promise<void>): void }, dockerfile: string, platform: string): Promise<{ image: string; platform?: string }[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-deps-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  await fs.writeFile(path.join(dir, 'Dockerfile'), dockerfile);
  const real = { arch: process.arch, platform: process.platform };
  Object.defineProperty(process, 'arch', { value: 'arm64' });
  Object.defineProperty(process, 'platform', { value: 'darwin' });
  let stdout = '';
  const io: CliIo = { stdout: { write: (chunk) => (stdout += String(chunk)) }, stderr: { write: () => true } };
  try {
    await deps(dir, { json: true, platform }, io);
  } finally {
    Object.defineProperty(process, 'arch', { value: real.arch });
    Object.defineProperty(process, 'platform', { value: real.platform });
  }
  return (JSON.parse(stdout) as { bases: { image: string; platform?: string }[] }).bases;
}

describe('slipway deps', () => {
  it('reads BUILDPLATFORM as the worker\'s (linux/amd64), not the machine it runs on', async (t) => {
    const bases = await depsOnMac(t, df('FROM --platform=$BUILDPLATFORM golang:1.22 AS build', 'FROM alpine', 'COPY --from=build /x /x'), 'linux/arm64');
    assert.deepEqual(
      bases.map((b) => [b.image, b.platform]),
      [
        [hub('alpine:latest'), undefined],
        [hub('golang:1.22'), 'linux/amd64'],
      ],
    );
  });

  it('lets a global ARG TARGETPLATFORM default win over --platform, as a build does', async (t) => {
    const bases = await depsOnMac(t, df('ARG TARGETPLATFORM=linux/arm64', 'FROM --platform=$TARGETPLATFORM alpine'), 'linux/amd64');
    assert.deepEqual(bases.map((b) => [b.image, b.platform]), [[hub('alpine:latest'), 'linux/arm64']]);
  });
});
