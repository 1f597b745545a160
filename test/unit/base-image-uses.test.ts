// What a worker records of a build's bases for the graph: the platforms reach the Dockerfile reader as
// BuildKit gets them, and one image pulled for two platforms stays two uses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BaseImageUse } from '../../src/runs/model.js';
import { addUse, baseUses } from '../../workers/jobs/base-images.js';

const df = (...lines: string[]) => lines.join('\n') + '\n';
const hub = (name: string) => `docker.io/library/${name}`;
const AMD = 'linux/amd64';
const ARM = 'linux/arm64';
const uses = (text: string, platform: string, buildArgs: Record<string, string> = {}, buildPlatform = AMD) =>
  baseUses(text, { platform, buildArgs }, buildPlatform).map((u) => [u.image, u.kind, u.platform, u.basePlatform]);

describe('baseUses', () => {
  const cases: { name: string; text: string; platform: string; buildArgs?: Record<string, string>; buildPlatform?: string; want: string[][] }[] = [
    {
      name: 'a build stage on $BUILDPLATFORM pulls the worker platform; the target stage the target',
      text: df('FROM --platform=$BUILDPLATFORM golang:1.22 AS build', 'FROM alpine:3.19', 'COPY --from=build /app /app'),
      platform: ARM,
      want: [[hub('alpine:3.19'), 'runtime', ARM, ARM], [hub('golang:1.22'), 'buildtime', ARM, AMD]],
    },
    {
      name: 'BUILDPLATFORM is the worker platform given, not a build arg default',
      text: df('FROM --platform=$BUILDPLATFORM golang:1.22 AS build', 'FROM alpine', 'COPY --from=build /app /app'),
      platform: AMD,
      buildPlatform: ARM,
      want: [[hub('alpine:latest'), 'runtime', AMD, AMD], [hub('golang:1.22'), 'buildtime', AMD, ARM]],
    },
    {
      name: 'one image for both platforms is two uses, runtime and buildtime',
      text: df('FROM --platform=$BUILDPLATFORM alpine:3.19 AS build', 'FROM alpine:3.19', 'COPY --from=build /x /x'),
      platform: ARM,
      want: [[hub('alpine:3.19'), 'runtime', ARM, ARM], [hub('alpine:3.19'), 'buildtime', ARM, AMD]],
    },
    {
      name: "a global ARG TARGETPLATFORM default wins over the build's platform",
      text: df('ARG TARGETPLATFORM=linux/arm64', 'FROM --platform=$TARGETPLATFORM alpine'),
      platform: AMD,
      want: [[hub('alpine:latest'), 'runtime', AMD, ARM]],
    },
    {
      name: 'a TARGETPLATFORM build arg wins over that default',
      text: df('ARG TARGETPLATFORM=linux/arm64', 'FROM --platform=$TARGETPLATFORM alpine'),
      platform: AMD,
      buildArgs: { TARGETPLATFORM: 'linux/arm/v7' },
      want: [[hub('alpine:latest'), 'runtime', AMD, 'linux/arm/v7']],
    },
    {
      name: 'TARGETARCH comes from the platform built, variant included',
      text: df('ARG TARGETARCH', 'ARG TARGETVARIANT', 'FROM 127.0.0.1:5000/base/busybox:${TARGETARCH}${TARGETVARIANT}'),
      platform: 'linux/arm/v7',
      want: [['127.0.0.1:5000/base/busybox:armv7', 'runtime', 'linux/arm/v7', 'linux/arm/v7']],
    },
    {
      name: 'a written platform is named as indexes name it',
      text: df('FROM --platform=linux/arm64/v8 alpine AS a', 'FROM --platform=LINUX/AMD64 alpine', 'COPY --from=a /x /x'),
      platform: 'linux/arm/v7',
      want: [[hub('alpine:latest'), 'runtime', 'linux/arm/v7', AMD], [hub('alpine:latest'), 'buildtime', 'linux/arm/v7', ARM]],
    },
    {
      name: 'a base named by digest is left out: it can never change',
      text: df(`FROM alpine@sha256:${'a'.repeat(64)} AS a`, 'FROM busybox', 'COPY --from=a /x /x'),
      platform: AMD,
      want: [[hub('busybox:latest'), 'runtime', AMD, AMD]],
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(uses(c.text, c.platform, c.buildArgs, c.buildPlatform), c.want));
});

describe('addUse', () => {
  const use = (kind: BaseImageUse['kind'], basePlatform: string, digest = 'sha256:x'): BaseImageUse => ({ image: hub('alpine:3.19'), kind, platform: ARM, basePlatform, digest });

  it('keeps the target-platform and build-platform uses of one image apart', () => {
    const list: BaseImageUse[] = [];
    addUse(list, use('runtime', ARM));
    addUse(list, use('buildtime', AMD));
    assert.deepEqual(list.map((u) => [u.kind, u.basePlatform]), [['runtime', ARM], ['buildtime', AMD]]);
  });

  it('merges the same use from two steps, a runtime one winning', () => {
    const list: BaseImageUse[] = [];
    addUse(list, use('buildtime', ARM, 'sha256:first'));
    addUse(list, use('runtime', ARM, 'sha256:second'));
    addUse(list, use('buildtime', ARM));
    assert.deepEqual(list, [use('runtime', ARM, 'sha256:first')]);
  });
});
