// Table tests of base-image extraction: which images a Dockerfile build pulls, runtime vs buildtime, with
// Docker's (BuildKit's) rules for stages, ARG substitution, platforms, --from and --mount, and its errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSlipwayError } from '../../src/errors.js';
import { type BaseImage, type DockerfileBases, type ExtractBasesOptions, extractBases } from '../../src/dockerfile/bases.js';
import { DockerfileError } from '../../src/dockerfile/errors.js';
import { BadInputError } from '../../src/errors.js';

const df = (...lines: string[]) => lines.join('\n') + '\n';
const hub = (name: string) => `docker.io/library/${name}`;
const runtime = (image: string, line: number, stage: string, extra: Partial<BaseImage> = {}): BaseImage => ({ image, stage, kind: 'runtime', via: 'from', line, ...extra });
const buildtime = (image: string, line: number, stage: string, via: BaseImage['via'] = 'from', extra: Partial<BaseImage> = {}): BaseImage => ({
  image,
  stage,
  kind: 'buildtime',
  via,
  line,
  ...extra,
});

interface Case {
  name: string;
  dockerfile: string;
  opts?: ExtractBasesOptions;
  bases: BaseImage[];
  stages?: DockerfileBases['stages'];
  warnings?: RegExp[];
}

const cases: Case[] = [
  // --- single stage and image normalisation
  { name: 'one FROM, no tag', dockerfile: df('FROM alpine'), bases: [runtime(hub('alpine:latest'), 1, '0')], stages: [{ index: 0, from: hub('alpine:latest') }] },
  { name: 'tag', dockerfile: df('FROM golang:1.22'), bases: [runtime(hub('golang:1.22'), 1, '0')] },
  {
    name: 'tag and digest kept',
    dockerfile: df(`FROM alpine:3.19@sha256:${'a'.repeat(64)}`),
    bases: [runtime(hub(`alpine:3.19@sha256:${'a'.repeat(64)}`), 1, '0')],
  },
  { name: 'digest only gets no tag', dockerfile: df(`FROM alpine@sha256:${'b'.repeat(64)}`), bases: [runtime(hub(`alpine@sha256:${'b'.repeat(64)}`), 1, '0')] },
  { name: 'registry with port', dockerfile: df('FROM 127.0.0.1:5000/base/busybox'), bases: [runtime('127.0.0.1:5000/base/busybox:latest', 1, '0')] },
  { name: 'user repository on Docker Hub', dockerfile: df('FROM bitnami/redis:7.2'), bases: [runtime('docker.io/bitnami/redis:7.2', 1, '0')] },
  { name: 'index.docker.io is docker.io', dockerfile: df('FROM index.docker.io/library/ubuntu:22.04'), bases: [runtime(hub('ubuntu:22.04'), 1, '0')] },
  { name: 'other registry', dockerfile: df('FROM gcr.io/distroless/static-debian12:nonroot'), bases: [runtime('gcr.io/distroless/static-debian12:nonroot', 1, '0')] },
  {
    name: 'defaultRegistry for names without a registry',
    dockerfile: df('FROM base/busybox AS a', 'FROM busybox', 'COPY --from=a / /', 'COPY --from=ghcr.io/x/y:1 / /'),
    opts: { defaultRegistry: '127.0.0.1:5000' },
    bases: [runtime('127.0.0.1:5000/busybox:latest', 2, '1'), buildtime('127.0.0.1:5000/base/busybox:latest', 1, 'a'), buildtime('ghcr.io/x/y:1', 4, '1', 'copy-from')],
  },
  { name: 'keywords and AS are case-insensitive', dockerfile: df('from golang:1.22 as Build', 'from alpine', 'copy --from=BUILD /x /x'), bases: [runtime(hub('alpine:latest'), 2, '1'), buildtime(hub('golang:1.22'), 1, 'build')] },
  { name: 'indented instructions', dockerfile: df('   FROM   alpine:3.19   AS   base  ', '\tFROM base'), bases: [runtime(hub('alpine:3.19'), 1, 'base')] },

  // --- scratch and stages
  { name: 'FROM scratch is no base', dockerfile: df('FROM scratch', 'ADD rootfs.tar.gz /'), bases: [], stages: [{ index: 0, from: 'scratch' }] },
  {
    name: 'builder pattern',
    dockerfile: df('FROM golang:1.22 AS build', 'RUN go build -o /app', 'FROM gcr.io/distroless/static', 'COPY --from=build /app /app'),
    bases: [runtime('gcr.io/distroless/static:latest', 3, '1'), buildtime(hub('golang:1.22'), 1, 'build')],
    stages: [
      { name: 'build', index: 0, from: hub('golang:1.22') },
      { index: 1, from: 'gcr.io/distroless/static:latest' },
    ],
  },
  {
    name: 'runtime chain through stage references',
    dockerfile: df('FROM node:20 AS base', 'FROM base AS deps', 'RUN npm ci', 'FROM deps'),
    bases: [runtime(hub('node:20'), 1, 'base')],
    stages: [
      { name: 'base', index: 0, from: hub('node:20') },
      { name: 'deps', index: 1, from: 'base' },
      { index: 2, from: 'deps' },
    ],
  },
  { name: 'a stage name is lower-cased where it is defined', dockerfile: df('FROM node:20 AS Base', 'FROM base'), bases: [runtime(hub('node:20'), 1, 'base')] },
  {
    name: 'an image used at runtime and at buildtime is runtime',
    dockerfile: df('FROM alpine AS tools', 'RUN apk add curl', 'FROM alpine', 'COPY --from=tools /usr/bin/curl /usr/bin/'),
    bases: [runtime(hub('alpine:latest'), 3, '1')],
  },
  {
    name: 'duplicates merged, first use kept',
    dockerfile: df('FROM golang:1.22 AS a', 'FROM golang:1.22 AS b', 'FROM alpine', 'COPY --from=a / /a', 'COPY --from=b / /b', 'COPY --from=golang:1.22 / /c'),
    bases: [runtime(hub('alpine:latest'), 3, '2'), buildtime(hub('golang:1.22'), 1, 'a')],
  },
  {
    name: 'runtime image in a differently spelt reference merges',
    dockerfile: df('FROM docker.io/library/alpine:latest AS a', 'FROM alpine', 'COPY --from=a / /'),
    bases: [runtime(hub('alpine:latest'), 2, '1')],
  },
  {
    name: 'stages the target does not need are not pulled',
    dockerfile: df('FROM golang AS unused', 'FROM alpine'),
    bases: [runtime(hub('alpine:latest'), 2, '1')],
    stages: [
      { name: 'unused', index: 0, from: hub('golang:latest') },
      { index: 1, from: hub('alpine:latest') },
    ],
  },
  {
    name: 'a stage named like an image shadows it',
    dockerfile: df('FROM debian:12 AS alpine', 'FROM alpine'),
    bases: [runtime(hub('debian:12'), 1, 'alpine')],
  },
  {
    name: 'FROM only sees earlier stages: a later name is an image',
    dockerfile: df('FROM later AS a', 'FROM busybox AS later'),
    opts: { target: 'a' },
    bases: [runtime(hub('later:latest'), 1, 'a')],
  },
  {
    name: 'FROM <number> is an image name, as in Docker (only --from takes a stage index)',
    dockerfile: df('FROM golang AS b', 'FROM 0'),
    bases: [runtime(hub('0:latest'), 2, '1')],
  },
  {
    name: 'duplicate stage names: later references mean the last one',
    dockerfile: df('FROM alpine:3.18 AS x', 'FROM alpine:3.19 AS x', 'FROM x'),
    bases: [runtime(hub('alpine:3.19'), 2, 'x')],
    warnings: [/line 2: stage name "x" is used more than once/],
  },

  // --- COPY --from
  { name: 'COPY --from=<image>', dockerfile: df('FROM alpine', 'COPY --from=nginx:1.27 /etc/nginx /etc/nginx'), bases: [runtime(hub('alpine:latest'), 1, '0'), buildtime(hub('nginx:1.27'), 2, '0', 'copy-from')] },
  { name: 'COPY --from=<stage index>', dockerfile: df('FROM golang AS b', 'FROM alpine', 'COPY --from=0 /a /a'), bases: [runtime(hub('alpine:latest'), 2, '1'), buildtime(hub('golang:latest'), 1, 'b')] },
  { name: 'COPY --from=<index> of an unnamed stage', dockerfile: df('FROM golang', 'FROM alpine', 'COPY --from=+0 /a /a'), bases: [runtime(hub('alpine:latest'), 2, '1'), buildtime(hub('golang:latest'), 1, '0')] },
  { name: 'COPY --from=scratch is nothing', dockerfile: df('FROM alpine', 'COPY --from=scratch / /'), bases: [runtime(hub('alpine:latest'), 1, '0')] },
  { name: 'COPY --from= (empty) is no --from', dockerfile: df('FROM alpine', 'COPY --from= a b'), bases: [runtime(hub('alpine:latest'), 1, '0')] },
  { name: 'quoted --from value', dockerfile: df('FROM alpine', 'COPY --from="nginx:1.27" a b'), bases: [runtime(hub('alpine:latest'), 1, '0'), buildtime(hub('nginx:1.27'), 2, '0', 'copy-from')] },
  {
    name: 'COPY --from among other flags, on a continuation line',
    dockerfile: df('FROM alpine', 'COPY --link --chown=1:1 \\', '     --from=busybox:1.36 \\', '     /bin/busybox /bin/'),
    bases: [runtime(hub('alpine:latest'), 1, '0'), buildtime(hub('busybox:1.36'), 3, '0', 'copy-from')],
  },
  { name: 'COPY JSON form', dockerfile: df('FROM alpine', 'COPY --from=busybox ["/bin/sh", "/sh"]'), bases: [runtime(hub('alpine:latest'), 1, '0'), buildtime(hub('busybox:latest'), 2, '0', 'copy-from')] },
  { name: 'ADD has no --from', dockerfile: df('FROM alpine', 'ADD --chown=1 https://example.com/x /x'), bases: [runtime(hub('alpine:latest'), 1, '0')] },

  // --- RUN --mount
  {
    name: 'RUN --mount=type=bind,from=<image>',
    dockerfile: df('FROM alpine', 'RUN --mount=type=bind,from=golang:1.22,source=/usr/local/go,target=/go go version'),
    bases: [runtime(hub('alpine:latest'), 1, '0'), buildtime(hub('golang:1.22'), 2, '0', 'mount-from')],
  },
  {
    name: 'RUN --mount=type=cache,from=<stage> pulls that stage',
    dockerfile: df('FROM node:20 AS deps', 'FROM alpine', 'RUN --mount=type=cache,from=deps,target=/cache true'),
    bases: [runtime(hub('alpine:latest'), 2, '1'), buildtime(hub('node:20'), 1, 'deps')],
  },
  {
    name: 'several mounts, each on its own line',
    dockerfile: df('FROM alpine', 'RUN --mount=type=bind,target=. \\', '    --mount=from=busybox:1.36,target=/bb \\', '    --mount=type=cache,target=/c,from=python:3.12 \\', '    true'),
    bases: [runtime(hub('alpine:latest'), 1, '0'), buildtime(hub('busybox:1.36'), 3, '0', 'mount-from'), buildtime(hub('python:3.12'), 4, '0', 'mount-from')],
  },
  {
    name: 'mounts without from, or from=scratch, pull nothing',
    dockerfile: df('FROM alpine', 'RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t --mount=type=secret,id=s --mount=from=scratch,target=/x true'),
    bases: [runtime(hub('alpine:latest'), 1, '0')],
  },
  { name: 'mount fields are CSV, keys case-insensitive', dockerfile: df('FROM alpine', 'RUN --mount="From=busybox",target=/x true'), bases: [runtime(hub('alpine:latest'), 1, '0'), buildtime(hub('busybox:latest'), 2, '0', 'mount-from')] },
  {
    name: 'RUN --mount with a heredoc',
    dockerfile: df('FROM alpine', 'RUN --mount=from=busybox,target=/bb <<EOT', '  /bb/bin/ls', 'EOT'),
    bases: [runtime(hub('alpine:latest'), 1, '0'), buildtime(hub('busybox:latest'), 2, '0', 'mount-from')],
  },

  // --- ONBUILD
  {
    name: 'ONBUILD COPY --from runs in the stage built on it',
    dockerfile: df('FROM alpine AS base', 'ONBUILD COPY --from=busybox:1.36 /bin/sh /sh', 'ONBUILD RUN --mount=from=python:3.12,target=/p true', 'FROM base'),
    bases: [runtime(hub('alpine:latest'), 1, 'base'), buildtime(hub('busybox:1.36'), 2, '1', 'copy-from'), buildtime(hub('python:3.12'), 3, '1', 'mount-from')],
  },
  { name: 'ONBUILD triggers do not run in their own stage', dockerfile: df('FROM alpine AS base', 'ONBUILD COPY --from=busybox / /'), bases: [runtime(hub('alpine:latest'), 1, 'base')] },

  // --- global ARGs
  { name: 'ARG default', dockerfile: df('ARG V=3.19', 'FROM alpine:$V'), bases: [runtime(hub('alpine:3.19'), 2, '0')] },
  { name: '${VAR}', dockerfile: df('ARG V=3.19', 'FROM alpine:${V}'), bases: [runtime(hub('alpine:3.19'), 2, '0')] },
  { name: 'build arg overrides the default', dockerfile: df('ARG V=3.19', 'FROM alpine:$V'), opts: { buildArgs: { V: '3.20' } }, bases: [runtime(hub('alpine:3.20'), 2, '0')] },
  { name: 'build arg for an ARG without default', dockerfile: df('ARG REGISTRY', 'FROM $REGISTRY/base:1'), opts: { buildArgs: { REGISTRY: 'ghcr.io/acme' } }, bases: [runtime('ghcr.io/acme/base:1', 2, '0')] },
  { name: 'quoted default', dockerfile: df('ARG V="3.19"', "ARG W='edge'", 'FROM alpine:$V AS a', 'FROM alpine:$W'), bases: [runtime(hub('alpine:edge'), 4, '1')] },
  { name: 'several names in one ARG', dockerfile: df('ARG IMAGE=alpine TAG=3.19', 'FROM ${IMAGE}:${TAG}'), bases: [runtime(hub('alpine:3.19'), 2, '0')] },
  { name: 'ARG on continuation lines', dockerfile: df('ARG IMAGE=alpine \\', '    TAG=3.19', 'FROM ${IMAGE}:${TAG}'), bases: [runtime(hub('alpine:3.19'), 3, '0')] },
  { name: 'default refers to an earlier ARG', dockerfile: df('ARG A=3.19', 'ARG B=$A', 'FROM alpine:$B'), bases: [runtime(hub('alpine:3.19'), 3, '0')] },
  { name: 'overriding the earlier ARG flows on', dockerfile: df('ARG A=3.19', 'ARG B=$A', 'FROM alpine:$B'), opts: { buildArgs: { A: '3.20' } }, bases: [runtime(hub('alpine:3.20'), 3, '0')] },
  { name: 'overriding the later ARG wins', dockerfile: df('ARG A=3.19', 'ARG B=$A', 'FROM alpine:$B'), opts: { buildArgs: { A: '3.20', B: 'edge' } }, bases: [runtime(hub('alpine:edge'), 3, '0')] },
  { name: 'redeclaring without a default keeps the value', dockerfile: df('ARG V=3.19', 'ARG V', 'FROM alpine:$V'), bases: [runtime(hub('alpine:3.19'), 3, '0')] },
  { name: 'build args for undeclared names are ignored', dockerfile: df('FROM alpine:3.19'), opts: { buildArgs: { UNUSED: 'x' } }, bases: [runtime(hub('alpine:3.19'), 1, '0')] },
  { name: '${VAR:-default} when unset', dockerfile: df('ARG V', 'FROM alpine:${V:-3.18}'), bases: [runtime(hub('alpine:3.18'), 2, '0')] },
  { name: '${VAR:-default} when empty', dockerfile: df('ARG V=', 'FROM alpine:${V:-3.18}'), bases: [runtime(hub('alpine:3.18'), 2, '0')] },
  { name: '${VAR:-default} when set', dockerfile: df('ARG V=3.19', 'FROM alpine:${V:-3.18}'), bases: [runtime(hub('alpine:3.19'), 2, '0')] },
  { name: '${VAR:-default} of an undeclared name', dockerfile: df('FROM alpine:${NOPE:-3.18}'), bases: [runtime(hub('alpine:3.18'), 1, '0')] },
  { name: '${VAR-default} keeps an empty value', dockerfile: df('ARG S=', 'FROM alpine${S-:3.18}'), bases: [runtime(hub('alpine:latest'), 2, '0')] },
  { name: '${VAR:+alt} when set', dockerfile: df('ARG DEBUG=1', 'FROM alpine:3${DEBUG:+-debug}'), bases: [runtime(hub('alpine:3-debug'), 2, '0')] },
  { name: '${VAR:+alt} when unset', dockerfile: df('ARG DEBUG', 'FROM alpine:3${DEBUG:+-debug}'), bases: [runtime(hub('alpine:3'), 2, '0')] },
  { name: '${VAR:+alt} when empty', dockerfile: df('ARG DEBUG=', 'FROM alpine:3${DEBUG:+-debug}'), bases: [runtime(hub('alpine:3'), 2, '0')] },
  { name: '${VAR+alt} when empty', dockerfile: df('ARG DEBUG=', 'FROM alpine:3${DEBUG+-debug}'), bases: [runtime(hub('alpine:3-debug'), 2, '0')] },
  { name: 'nested defaults', dockerfile: df('ARG A', 'ARG B', 'FROM alpine:${A:-${B:-3.19}}'), bases: [runtime(hub('alpine:3.19'), 3, '0')] },
  { name: 'nested defaults, inner given', dockerfile: df('ARG A', 'ARG B', 'FROM alpine:${A:-${B:-3.19}}'), opts: { buildArgs: { B: '3.18' } }, bases: [runtime(hub('alpine:3.18'), 3, '0')] },
  { name: 'an unused default may name an unset variable', dockerfile: df('ARG TAG=3.19', 'FROM alpine:${TAG:-$NOPE}'), bases: [runtime(hub('alpine:3.19'), 2, '0')] },
  { name: 'double quotes expand', dockerfile: df('ARG V=3.19', 'FROM "alpine:$V"'), bases: [runtime(hub('alpine:3.19'), 2, '0')] },
  { name: 'escaped characters', dockerfile: df('FROM al\\pine:3.1\\9'), bases: [runtime(hub('alpine:3.19'), 1, '0')] },
  { name: '${VAR#prefix}', dockerfile: df('ARG V=v1.2.3', 'FROM alpine:${V#v}'), bases: [runtime(hub('alpine:1.2.3'), 2, '0')] },
  { name: '${VAR##pattern}', dockerfile: df('ARG V=a-b-c', 'FROM alpine:${V##*-}'), bases: [runtime(hub('alpine:c'), 2, '0')] },
  { name: '${VAR%pattern}', dockerfile: df('ARG V=v1.2.3', 'FROM alpine:${V%.*}'), bases: [runtime(hub('alpine:v1.2'), 2, '0')] },
  { name: '${VAR%%pattern}', dockerfile: df('ARG V=v1.2.3', 'FROM alpine:${V%%.*}'), bases: [runtime(hub('alpine:v1'), 2, '0')] },
  { name: '${VAR/pat/repl}', dockerfile: df('ARG V=v1.2.3', 'FROM alpine:${V/./-}'), bases: [runtime(hub('alpine:v1-2.3'), 2, '0')] },
  { name: '${VAR//pat/repl}', dockerfile: df('ARG V=v1.2.3', 'FROM alpine:${V//./-}'), bases: [runtime(hub('alpine:v1-2-3'), 2, '0')] },
  { name: '${VAR?msg} when set', dockerfile: df('ARG V=3', 'FROM alpine:${V?need_V}'), bases: [runtime(hub('alpine:3'), 2, '0')] },

  // --- platforms
  {
    name: '--platform=$BUILDPLATFORM / $TARGETPLATFORM stay symbolic',
    dockerfile: df('FROM --platform=$BUILDPLATFORM golang:1.22 AS build', 'FROM --platform=${TARGETPLATFORM} alpine', 'COPY --from=build /app /app'),
    bases: [runtime(hub('alpine:latest'), 2, '1', { platform: '${TARGETPLATFORM}' }), buildtime(hub('golang:1.22'), 1, 'build', 'from', { platform: '$BUILDPLATFORM' })],
  },
  {
    name: '--platform substituted from build args',
    dockerfile: df('FROM --platform=$BUILDPLATFORM golang:1.22 AS build', 'FROM --platform=$TARGETPLATFORM alpine', 'COPY --from=build /app /app'),
    opts: { buildArgs: { BUILDPLATFORM: 'linux/amd64', TARGETPLATFORM: 'linux/arm64' } },
    bases: [runtime(hub('alpine:latest'), 2, '1', { platform: 'linux/arm64' }), buildtime(hub('golang:1.22'), 1, 'build', 'from', { platform: 'linux/amd64' })],
  },
  { name: 'literal --platform', dockerfile: df('FROM --platform=linux/arm/v7 alpine'), bases: [runtime(hub('alpine:latest'), 1, '0', { platform: 'linux/arm/v7' })] },
  { name: 'quoted --platform', dockerfile: df('FROM --platform="linux/amd64" alpine'), bases: [runtime(hub('alpine:latest'), 1, '0', { platform: 'linux/amd64' })] },
  { name: '--platform from a global ARG', dockerfile: df('ARG PLAT=linux/amd64', 'FROM --platform=$PLAT alpine'), bases: [runtime(hub('alpine:latest'), 2, '0', { platform: 'linux/amd64' })] },
  {
    name: 'partly known platform keeps the unknown part as written',
    dockerfile: df('FROM --platform=linux/${TARGETARCH} alpine'),
    bases: [runtime(hub('alpine:latest'), 1, '0', { platform: 'linux/${TARGETARCH}' })],
  },
  {
    name: 'TARGETPLATFORM gives TARGETOS, TARGETARCH and TARGETVARIANT',
    dockerfile: df('FROM ghcr.io/acme/base-${TARGETOS}-${TARGETARCH}${TARGETVARIANT}'),
    opts: { buildArgs: { TARGETPLATFORM: 'linux/arm/v7' } },
    bases: [runtime('ghcr.io/acme/base-linux-armv7:latest', 1, '0')],
  },
  {
    name: 'TARGETARCH on its own',
    dockerfile: df('FROM ghcr.io/acme/base:${TARGETARCH}'),
    opts: { buildArgs: { TARGETARCH: 'amd64' } },
    bases: [runtime('ghcr.io/acme/base:amd64', 1, '0')],
  },
  {
    name: 'a platform-dependent stage reference follows every candidate',
    dockerfile: df('FROM alpine:3.19 AS build-amd64', 'FROM alpine:3.18 AS build-arm64', 'FROM debian AS other', 'FROM build-$TARGETARCH'),
    bases: [runtime(hub('alpine:3.19'), 1, 'build-amd64'), runtime(hub('alpine:3.18'), 2, 'build-arm64')],
    stages: [
      { name: 'build-amd64', index: 0, from: hub('alpine:3.19') },
      { name: 'build-arm64', index: 1, from: hub('alpine:3.18') },
      { name: 'other', index: 2, from: hub('debian:latest') },
      { index: 3, from: 'build-$TARGETARCH' },
    ],
    warnings: [/line 4: FROM "build-\$TARGETARCH" depends on the platform; following every stage it can name \(build-amd64, build-arm64\)/],
  },
  {
    name: 'a platform-dependent stage reference with the platform given',
    dockerfile: df('FROM alpine:3.19 AS build-amd64', 'FROM alpine:3.18 AS build-arm64', 'FROM build-$TARGETARCH'),
    opts: { buildArgs: { TARGETPLATFORM: 'linux/arm64' } },
    bases: [runtime(hub('alpine:3.18'), 2, 'build-arm64')],
    warnings: [],
  },
  { name: 'a platform-dependent image in an unneeded stage is fine', dockerfile: df('FROM acme/base-$TARGETARCH AS unused', 'FROM alpine'), bases: [runtime(hub('alpine:latest'), 2, '1')] },
  { name: 'a global ARG default overrides an automatic platform arg', dockerfile: df('ARG TARGETARCH=riscv64', 'FROM acme/base-$TARGETARCH'), bases: [runtime('docker.io/acme/base-riscv64:latest', 2, '0')] },
  { name: 'TARGETSTAGE is the target name', dockerfile: df('FROM busybox AS x', 'FROM alpine:${TARGETSTAGE}-ish AS edge'), bases: [runtime(hub('alpine:edge-ish'), 2, 'edge')] },

  // --- target
  {
    name: 'target picks the runtime chain',
    dockerfile: df('FROM golang:1.22 AS build', 'FROM build AS test', 'RUN go test', 'FROM gcr.io/distroless/static', 'COPY --from=build /app /app'),
    opts: { target: 'test' },
    bases: [runtime(hub('golang:1.22'), 1, 'build')],
  },
  { name: 'an empty target means the last stage', dockerfile: df('FROM golang:1.22 AS build', 'FROM alpine'), opts: { target: '' }, bases: [runtime(hub('alpine:latest'), 2, '1')] },
  { name: 'target is case-insensitive', dockerfile: df('FROM golang:1.22 AS Build', 'FROM alpine'), opts: { target: 'BUILD' }, bases: [runtime(hub('golang:1.22'), 1, 'build')] },

  // --- syntax: continuations, heredocs, comments, line endings, directives
  { name: 'continuation lines', dockerfile: df('FROM \\', '  alpine:3.19 \\', '  AS base', 'FROM base'), bases: [runtime(hub('alpine:3.19'), 1, 'base')] },
  { name: 'comments and blank lines inside a continuation', dockerfile: df('FROM alpine:3.19 \\', '# a comment', '', '  AS base', 'FROM base'), bases: [runtime(hub('alpine:3.19'), 1, 'base')] },
  { name: 'escape with trailing spaces continues', dockerfile: df('FROM alpine:3.19 \\   ', '  AS base', 'FROM base'), bases: [runtime(hub('alpine:3.19'), 1, 'base')] },
  {
    name: 'heredoc bodies are not instructions',
    dockerfile: df(
      'FROM alpine',
      'RUN <<EOT',
      'FROM evil:1',
      'COPY --from=evil2 / /',
      'EOT',
      'COPY <<EOF /etc/x',
      'FROM evil3',
      'EOF',
      'RUN <<-EOT',
      '\tFROM evil4',
      '\tEOT',
      'RUN python3 <<"PY"',
      '# FROM evil5',
      'PY',
      'COPY --from=busybox /bin/sh /sh',
    ),
    bases: [runtime(hub('alpine:latest'), 1, '0'), buildtime(hub('busybox:latest'), 15, '0', 'copy-from')],
  },
  { name: 'CMD takes no heredoc: the next line is an instruction', dockerfile: df('FROM alpine AS a', 'CMD cat <<EOT', 'FROM busybox'), bases: [runtime(hub('busybox:latest'), 3, '1')] },
  { name: 'RUN in JSON form takes no heredoc', dockerfile: df('FROM alpine AS a', 'RUN ["cat", "<<EOT"]', 'FROM busybox'), bases: [runtime(hub('busybox:latest'), 3, '1')] },
  { name: 'a # inside an instruction is not a comment', dockerfile: df('FROM alpine', 'RUN echo # not a comment', 'COPY --from=busybox / /'), bases: [runtime(hub('alpine:latest'), 1, '0'), buildtime(hub('busybox:latest'), 3, '0', 'copy-from')] },
  {
    name: 'CRLF line endings',
    dockerfile: 'ARG V=3.19\r\nFROM golang:1.22 \\\r\n  AS build\r\n# comment\r\nFROM alpine:$V\r\nCOPY --from=build / /\r\n',
    bases: [runtime(hub('alpine:3.19'), 5, '1'), buildtime(hub('golang:1.22'), 2, 'build')],
  },
  { name: 'a lone CR is whitespace, as in Docker', dockerfile: 'FROM alpine:3.19\rAS base\nFROM base\n', bases: [runtime(hub('alpine:3.19'), 1, 'base')] },
  { name: 'byte order mark', dockerfile: '\uFEFFFROM alpine:3.19\n', bases: [runtime(hub('alpine:3.19'), 1, '0')] },
  { name: 'byte order mark before a directive', dockerfile: '\uFEFF# escape=`\nFROM alpine:3.19 `\n  AS base\nFROM base\n', bases: [runtime(hub('alpine:3.19'), 2, 'base')] },
  { name: 'no final newline', dockerfile: 'FROM alpine:3.19', bases: [runtime(hub('alpine:3.19'), 1, '0')] },
  { name: 'non-breaking space before an instruction', dockerfile: '\u00a0FROM alpine:3.19\n', bases: [runtime(hub('alpine:3.19'), 1, '0')] },
  { name: 'syntax directive', dockerfile: df('# syntax=docker/dockerfile:1.7', 'FROM alpine'), bases: [runtime(hub('alpine:latest'), 2, '0')], warnings: [] },
  {
    name: 'escape directive: backtick continues lines, backslash is literal (Windows)',
    dockerfile: df(
      '# escape=`',
      'FROM mcr.microsoft.com/windows/servercore:ltsc2022 `',
      '    AS build',
      'WORKDIR C:\\',
      'COPY --from=mcr.microsoft.com/powershell:lts-nanoserver-ltsc2022 C:\\ C:\\pwsh\\',
      'FROM mcr.microsoft.com/windows/nanoserver:ltsc2022',
      'COPY --from=build C:\\app C:\\app',
    ),
    bases: [
      runtime('mcr.microsoft.com/windows/nanoserver:ltsc2022', 6, '1'),
      buildtime('mcr.microsoft.com/windows/servercore:ltsc2022', 2, 'build'),
      buildtime('mcr.microsoft.com/powershell:lts-nanoserver-ltsc2022', 5, 'build', 'copy-from'),
    ],
  },
  {
    name: 'escape directive after syntax, spaced and upper-case',
    dockerfile: df('# syntax=docker/dockerfile:1', '  #  ESCAPE = `', 'ARG V=3.19', 'FROM alpine:$V `', '  AS a', 'FROM a'),
    bases: [runtime(hub('alpine:3.19'), 4, 'a')],
  },
  {
    name: 'backslash escape (default): C:\\ at a line end continues the line',
    dockerfile: df('FROM mcr.microsoft.com/windows/nanoserver:ltsc2022', 'WORKDIR C:\\', 'COPY --from=busybox / /', 'COPY --from=alpine / /'),
    bases: [runtime('mcr.microsoft.com/windows/nanoserver:ltsc2022', 1, '0'), buildtime(hub('alpine:latest'), 4, '0', 'copy-from')],
  },
  { name: 'check directive, then escape', dockerfile: df('# check=skip=all', '# escape=`', 'FROM alpine:3.19 `', '  AS a', 'FROM a'), bases: [runtime(hub('alpine:3.19'), 3, 'a')] },
  { name: 'a directive after a comment is a comment', dockerfile: df('# hello', '# escape=`', 'FROM alpine:3.19 \\', '  AS a', 'FROM a'), bases: [runtime(hub('alpine:3.19'), 3, 'a')] },
  { name: 'an unknown directive ends the directives', dockerfile: df('# foo=bar', '# escape=`', 'FROM alpine:3.19 \\', '  AS a', 'FROM a'), bases: [runtime(hub('alpine:3.19'), 3, 'a')] },
  {
    name: 'custom frontend: unknown instructions are warnings',
    dockerfile: df('# syntax=devthefuture/dockerfile-x', 'FROM alpine', 'INCLUDE ./other.dockerfile'),
    bases: [runtime(hub('alpine:latest'), 2, '0')],
    warnings: [/selects another frontend/, /line 3: instruction "INCLUDE" is not a Dockerfile instruction/],
  },
];

describe('extractBases', () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = extractBases(c.dockerfile, c.opts);
      assert.deepEqual(result.bases, c.bases);
      if (c.stages) assert.deepEqual(result.stages, c.stages);
      if (c.warnings) {
        assert.equal(result.warnings.length, c.warnings.length, `warnings: ${JSON.stringify(result.warnings)}`);
        c.warnings.forEach((w, i) => assert.match(result.warnings[i]!, w));
      }
    });
  }
});

interface ErrorCase {
  name: string;
  dockerfile: string;
  opts?: ExtractBasesOptions;
  /** Every pattern must match the message. */
  message: RegExp[];
  line?: number;
  code?: string;
  status?: number;
}

const errors: ErrorCase[] = [
  { name: 'empty file', dockerfile: '', message: [/no FROM instruction/] },
  { name: 'only comments and ARGs', dockerfile: df('# hi', 'ARG A=1', ''), message: [/no FROM instruction/] },
  { name: 'instruction before FROM', dockerfile: df('RUN echo hi', 'FROM alpine'), message: [/RUN before the first FROM/], line: 1 },
  { name: 'unknown instruction', dockerfile: df('FROM alpine', 'FORM busybox'), message: [/unknown instruction: "FORM"/], line: 2 },
  { name: 'FROM without image', dockerfile: df('FROM'), message: [/FROM requires either one or three arguments/], line: 1 },
  { name: 'FROM with two words', dockerfile: df('FROM alpine busybox'), message: [/one or three arguments/], line: 1 },
  { name: 'FROM with AS but no name', dockerfile: df('FROM alpine AS'), message: [/one or three arguments/], line: 1 },
  { name: 'FROM x y z without AS', dockerfile: df('FROM alpine TO x'), message: [/one or three arguments/], line: 1 },
  { name: 'invalid stage name', dockerfile: df('FROM alpine AS 1st'), message: [/invalid name for build stage: "1st"/], line: 1 },
  { name: 'unknown FROM flag', dockerfile: df('FROM --plaform=linux/amd64 alpine'), message: [/unknown flag for FROM: "--plaform"/], line: 1 },
  { name: '--platform without value', dockerfile: df('FROM --platform alpine AS a'), message: [/missing a value on flag: --platform/], line: 1 },
  { name: 'invalid platform', dockerfile: df('FROM --platform=linux/amd64/v3/x alpine'), message: [/is not a platform/], line: 1 },
  { name: 'empty platform', dockerfile: df('ARG P=', 'FROM --platform=$P alpine'), message: [/empty platform value/], line: 2 },
  { name: 'invalid image reference names the line', dockerfile: df('FROM alpine', 'FROM Alpine:3'), message: [/invalid image reference "Alpine:3"/, /uppercase/], line: 2 },
  { name: 'empty tag', dockerfile: df('ARG T=', 'FROM alpine:$T'), message: [/invalid image reference "alpine:"/], line: 2 },
  { name: 'blank base name', dockerfile: df('ARG T=', 'FROM $T'), message: [/base name is blank/], line: 2 },
  { name: 'SCRATCH is not scratch', dockerfile: df('FROM SCRATCH'), message: [/uppercase/], line: 1 },
  { name: 'invalid COPY --from image', dockerfile: df('FROM alpine', 'COPY --from=Nope:1 / /'), message: [/COPY --from: invalid image reference "Nope:1"/], line: 2 },
  { name: 'invalid mount image', dockerfile: df('FROM alpine', 'RUN --mount=from=a..b true'), message: [/RUN --mount=from: invalid image reference/], line: 2 },
  {
    name: 'unset ARG names the line, the variable and --build-arg',
    dockerfile: df('ARG TAG', 'FROM alpine:$TAG'),
    message: [/\$TAG has no value/, /--build-arg TAG=<value>/],
    line: 2,
  },
  { name: 'undeclared variable', dockerfile: df('FROM alpine:$TAG'), message: [/\$TAG is not declared by an ARG before the first FROM/, /declare ARG TAG/, /--build-arg TAG=/], line: 1 },
  { name: 'ARG after FROM does not count', dockerfile: df('FROM alpine AS a', 'ARG V=3', 'FROM busybox:$V'), message: [/\$V is not declared/], line: 3 },
  { name: 'a default built from an unset ARG', dockerfile: df('ARG BASE', 'ARG IMAGE=$BASE/app', 'FROM $IMAGE'), message: [/\$IMAGE is built from \$BASE, which has no value/, /--build-arg BASE=/], line: 3 },
  { name: 'unset variable inside a used default', dockerfile: df('ARG A', 'FROM alpine:${A:-$B}'), message: [/\$B is not declared/], line: 2 },
  { name: 'unset variable in a pattern substitution', dockerfile: df('ARG V', 'FROM alpine:${V#v}'), message: [/\$V has no value/], line: 2 },
  { name: 'unset variable in --platform', dockerfile: df('FROM --platform=$PLAT alpine'), message: [/FROM --platform= "\$PLAT"/, /\$PLAT is not declared/], line: 1 },
  { name: 'build arg values are not substituted', dockerfile: df('ARG V', 'ARG W=x', 'FROM alpine:$V'), opts: { buildArgs: { V: '$W' } }, message: [/invalid image reference "alpine:\$W"/], line: 3 },
  { name: '${VAR?msg} when unset', dockerfile: df('ARG V', 'FROM alpine:${V?need_a_version}'), message: [/V: need_a_version/], line: 2 },
  { name: 'a lone $ is literal', dockerfile: df('FROM alpine', 'COPY --from=busybox$ / /'), message: [/invalid image reference "busybox\$"/], line: 2 },
  { name: '${VAR:?} when empty', dockerfile: df('ARG V=', 'FROM alpine:${V:?}'), message: [/V: is not allowed to be empty/], line: 2 },
  { name: 'bad substitution', dockerfile: df('FROM alpine:${}'), message: [/bad substitution/], line: 1 },
  { name: 'missing }', dockerfile: df('FROM alpine:${V'), message: [/missing '}'/], line: 1 },
  { name: 'unsupported modifier', dockerfile: df('ARG V=1', 'FROM alpine:${V:=2}'), message: [/unsupported modifier \(:=\)/], line: 2 },
  { name: 'unterminated quote', dockerfile: df('FROM "alpine'), message: [/matching double-quote/], line: 1 },
  { name: 'single quotes do not expand', dockerfile: df("ARG V=3", "FROM 'alpine:$V'"), message: [/invalid image reference "alpine:\$V"/], line: 2 },
  { name: 'an escaped $ does not expand', dockerfile: df('ARG V=3', 'FROM alpine:\\$V'), message: [/invalid image reference "alpine:\$V"/], line: 2 },
  {
    name: 'platform-dependent image without the platform',
    dockerfile: df('FROM --platform=$TARGETPLATFORM ghcr.io/acme/base-$TARGETARCH'),
    message: [/names an image that depends on the platform \(\$TARGETARCH\)/, /--build-arg TARGETPLATFORM=<os\/arch>/],
    line: 1,
  },
  { name: 'invalid TARGETPLATFORM build arg', dockerfile: df('FROM alpine'), opts: { buildArgs: { TARGETPLATFORM: 'not a platform' } }, message: [/build arg TARGETPLATFORM/], code: 'invalid_build_arg' },
  { name: 'COPY --from with a variable', dockerfile: df('ARG B=busybox', 'FROM alpine', 'COPY --from=$B / /'), message: [/variable expansion is not supported for --from/], line: 3 },
  { name: 'COPY --from index out of range', dockerfile: df('FROM alpine', 'COPY --from=1 / /'), message: [/invalid stage index 1/], line: 2 },
  { name: 'COPY --from negative index', dockerfile: df('FROM alpine', 'COPY --from=-1 / /'), message: [/invalid stage index -1/], line: 2 },
  { name: 'COPY with two --from', dockerfile: df('FROM alpine', 'COPY --from=a --from=b / /'), message: [/duplicate flag specified: --from/], line: 2 },
  { name: 'mount from with a variable', dockerfile: df('FROM alpine', 'RUN --mount=from=$X,target=/x true'), message: [/doesn't support variable expansion/], line: 2 },
  { name: 'secret mount with from', dockerfile: df('FROM alpine', 'RUN --mount=type=secret,id=x,from=busybox true'), message: [/secret mount cannot have a from/], line: 2 },
  { name: 'bad mount CSV', dockerfile: df('FROM alpine', `RUN --mount='from="a"b' true`), message: [/failed to parse csv mounts/], line: 2 },
  { name: 'a quote in a flag runs to the end of the line, as in Docker', dockerfile: df('FROM alpine', 'RUN --mount=from=a"b true'), message: [/invalid image reference "ab true"/], line: 2 },
  { name: 'circular --from', dockerfile: df('FROM alpine AS a', 'COPY --from=b / /', 'FROM alpine AS b', 'COPY --from=a / /'), message: [/circular dependency detected on stage a/], line: 4 },
  { name: 'a stage copying from itself', dockerfile: df('FROM alpine AS a', 'COPY --from=a / /'), message: [/circular dependency detected on stage a/], line: 2 },
  { name: 'ONBUILD FROM', dockerfile: df('FROM alpine', 'ONBUILD FROM busybox'), message: [/FROM isn't allowed as an ONBUILD trigger/], line: 2 },
  { name: 'ARG with a blank name', dockerfile: df('ARG =x', 'FROM alpine'), message: [/ARG names can not be blank/], line: 1 },
  { name: 'unknown target lists the stages', dockerfile: df('FROM alpine AS build', 'FROM build AS test', 'FROM alpine'), opts: { target: 'relase' }, message: [/target stage "relase" not found; the stages are: build, test/] },
  { name: 'unknown target, no named stages', dockerfile: df('FROM alpine'), opts: { target: 'x' }, message: [/no named stages/] },
  { name: 'unterminated heredoc', dockerfile: df('FROM alpine', 'RUN <<EOT', 'echo hi'), message: [/unterminated heredoc/], line: 2 },
  {
    name: 'without the escape directive, a backtick is no continuation',
    dockerfile: df('FROM mcr.microsoft.com/windows/servercore:ltsc2022 `', '    AS build'),
    message: [/one or three arguments/],
    line: 1,
  },
  { name: 'invalid escape directive', dockerfile: df('# escape=x', 'FROM alpine'), message: [/invalid escape token "x"/], line: 1 },
  { name: 'repeated directive', dockerfile: df('# syntax=docker/dockerfile:1', '# syntax=docker/dockerfile:1', 'FROM alpine'), message: [/only one syntax parser directive/], line: 2 },
  {
    name: 'escape directive, upper-case and spaced, applies',
    dockerfile: df('# syntax=docker/dockerfile:1', '  #  ESCAPE = `', 'ARG V=3.19', 'FROM alpine:`$V'),
    message: [/invalid image reference "alpine:\$V"/],
    line: 4,
  },
];

describe('extractBases errors', () => {
  for (const c of errors) {
    it(c.name, () => {
      assert.throws(
        () => extractBases(c.dockerfile, c.opts),
        (err: unknown) => {
          assert.ok(isSlipwayError(err), `not a SlipwayError: ${String(err)}`);
          assert.equal(err.status, c.status ?? 400);
          assert.equal(err.code, c.code ?? 'invalid_dockerfile');
          for (const m of c.message) assert.match(err.message, m);
          if (c.line !== undefined) {
            assert.match(err.message, new RegExp(`^Dockerfile line ${c.line}: `));
            assert.equal((err as { line?: number }).line, c.line);
          }
          return true;
        },
      );
    });
  }
});

describe('DockerfileError', () => {
  it('is a BadInputError (400, not retried) carrying the line', () => {
    try {
      extractBases(df('FROM alpine', 'FROM alpine:$NOPE'));
      assert.fail('no error');
    } catch (err) {
      assert.ok(err instanceof DockerfileError);
      assert.ok(err instanceof BadInputError);
      assert.equal(err.name, 'DockerfileError');
      assert.equal(err.line, 2);
    }
  });
});
