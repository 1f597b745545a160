// Base images of real-world Dockerfiles (test/fixtures/dockerfiles, see its README), checked by hand against
// the files: every image, its kind, and the line it is named on, for the default target and a few --targets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BaseImage, type ExtractBasesOptions, extractBases } from '../../src/dockerfile/bases.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/dockerfiles/${name}`, import.meta.url)), 'utf8');
const runtime = (image: string, line: number, stage: string, platform?: string): BaseImage => ({ image, stage, kind: 'runtime', via: 'from', line, ...(platform ? { platform } : {}) });
const buildtime = (image: string, line: number, stage: string, via: BaseImage['via'] = 'from', platform?: string): BaseImage => ({
  image,
  stage,
  kind: 'buildtime',
  via,
  line,
  ...(platform ? { platform } : {}),
});

// buildx.Dockerfile: every image its integration-test stage pulls, in line order (lines 19-30).
const buildxTestImages = [
  buildtime('docker.io/tonistiigi/xx:1.9.0', 19, 'xx', 'from', '$BUILDPLATFORM'),
  buildtime('docker.io/moby/moby-bin:29.6', 21, 'docker-engine'),
  buildtime('docker.io/dockereng/cli-bin:29.6', 22, 'docker-cli'),
  buildtime('docker.io/moby/moby-bin:28.5', 23, 'docker-engine-alt28'),
  buildtime('docker.io/moby/moby-bin:27.5.1', 24, 'docker-engine-alt27'),
  buildtime('docker.io/dockereng/cli-bin:28.5', 25, 'docker-cli-alt28'),
  buildtime('docker.io/dockereng/cli-bin:27.5.1', 26, 'docker-cli-alt27'),
  buildtime('docker.io/library/registry:3.0.0', 27, 'registry'),
  buildtime('docker.io/moby/buildkit:v0.32.1', 28, 'buildkit'),
  buildtime('docker.io/docker/compose-bin:v5.1.0', 29, 'compose'),
  buildtime('docker.io/crazymax/undock:0.9.0', 30, 'undock'),
];

interface FixtureCase {
  name: string;
  file: string;
  opts?: ExtractBasesOptions;
  bases: BaseImage[];
  stageCount?: number;
  warnings?: RegExp[];
}

const cases: FixtureCase[] = [
  { name: 'redis: one stage on debian', file: 'redis-7.2-debian.Dockerfile', bases: [runtime('docker.io/library/debian:bookworm-slim', 8, '0')], stageCount: 1 },
  {
    name: 'golang: build stage and final stage on the same image (merged, runtime)',
    file: 'golang-1.26-bookworm.Dockerfile',
    bases: [runtime('docker.io/library/buildpack-deps:bookworm-scm', 102, '1')],
    stageCount: 2,
  },
  {
    name: 'golang: target build',
    file: 'golang-1.26-bookworm.Dockerfile',
    opts: { target: 'build' },
    bases: [runtime('docker.io/library/buildpack-deps:bookworm-scm', 8, 'build')],
  },
  {
    name: 'golang nanoserver: COPY --from=<image> in JSON form',
    file: 'golang-1.26-nanoserver-ltsc2022.Dockerfile',
    bases: [runtime('mcr.microsoft.com/windows/nanoserver:ltsc2022', 8, '0'), buildtime('docker.io/library/golang:1.26.7-windowsservercore-ltsc2022', 28, '0', 'copy-from')],
    stageCount: 1,
  },
  { name: 'nginx alpine-slim: on alpine', file: 'nginx-mainline-alpine-slim.Dockerfile', bases: [runtime('docker.io/library/alpine:3.21', 7, '0')] },
  { name: 'nginx alpine: on nginx alpine-slim (a base-image chain)', file: 'nginx-mainline-alpine.Dockerfile', bases: [runtime('docker.io/library/nginx:1.27.4-alpine-slim', 7, '0')] },
  { name: 'busybox: FROM scratch', file: 'busybox-glibc.Dockerfile', bases: [], stageCount: 1 },
  {
    name: 'distribution: final unnamed stage on alpine, binary built on golang + xx',
    file: 'distribution-registry.Dockerfile',
    bases: [
      runtime('docker.io/library/alpine:3.23', 63, '7'),
      buildtime('docker.io/tonistiigi/xx:1.9.0', 17, 'xx', 'from', '$BUILDPLATFORM'),
      buildtime('docker.io/library/golang:1.25.9-alpine3.23', 18, 'base', 'from', '$BUILDPLATFORM'),
    ],
    stageCount: 8,
    warnings: [],
  },
  {
    name: 'distribution: build args and platforms',
    file: 'distribution-registry.Dockerfile',
    opts: { buildArgs: { GO_VERSION: '1.24.1', ALPINE_VERSION: '3.21', BUILDPLATFORM: 'linux/amd64', TARGETPLATFORM: 'linux/arm64' } },
    bases: [
      runtime('docker.io/library/alpine:3.21', 63, '7'),
      buildtime('docker.io/tonistiigi/xx:1.9.0', 17, 'xx', 'from', 'linux/amd64'),
      buildtime('docker.io/library/golang:1.24.1-alpine3.21', 18, 'base', 'from', 'linux/amd64'),
    ],
  },
  {
    name: 'distribution: target artifact (FROM scratch, built from golang)',
    file: 'distribution-registry.Dockerfile',
    opts: { target: 'artifact' },
    bases: [buildtime('docker.io/tonistiigi/xx:1.9.0', 17, 'xx', 'from', '$BUILDPLATFORM'), buildtime('docker.io/library/golang:1.25.9-alpine3.23', 18, 'base', 'from', '$BUILDPLATFORM')],
  },
  {
    name: 'distribution: target version (runtime on golang)',
    file: 'distribution-registry.Dockerfile',
    opts: { target: 'version' },
    bases: [runtime('docker.io/library/golang:1.25.9-alpine3.23', 18, 'base', '$BUILDPLATFORM'), buildtime('docker.io/tonistiigi/xx:1.9.0', 17, 'xx', 'from', '$BUILDPLATFORM')],
  },
  {
    name: 'buildx: default target is the unnamed FROM binaries (scratch, binaries-$TARGETOS)',
    file: 'buildx.Dockerfile',
    bases: [buildtime('docker.io/tonistiigi/xx:1.9.0', 19, 'xx', 'from', '$BUILDPLATFORM'), buildtime('docker.io/library/golang:1.26-alpine3.23', 20, 'golatest', 'from', '$BUILDPLATFORM')],
    stageCount: 33,
    warnings: [/line 123: FROM "binaries-\$TARGETOS" depends on the platform; .*binaries-linux.*binaries-windows/],
  },
  {
    name: 'buildx: with the target platform, binaries-$TARGETOS is one stage',
    file: 'buildx.Dockerfile',
    opts: { buildArgs: { TARGETPLATFORM: 'windows/amd64', BUILDPLATFORM: 'linux/amd64' } },
    bases: [buildtime('docker.io/tonistiigi/xx:1.9.0', 19, 'xx', 'from', 'linux/amd64'), buildtime('docker.io/library/golang:1.26-alpine3.23', 20, 'golatest', 'from', 'linux/amd64')],
    warnings: [],
  },
  {
    name: 'buildx: target shell',
    file: 'buildx.Dockerfile',
    opts: { target: 'shell', buildArgs: { TARGETPLATFORM: 'linux/arm64' } },
    bases: [
      runtime('docker.io/library/alpine:3.23', 176, 'shell'),
      buildtime('docker.io/tonistiigi/xx:1.9.0', 19, 'xx', 'from', '$BUILDPLATFORM'),
      buildtime('docker.io/library/golang:1.26-alpine3.23', 20, 'golatest', 'from', '$BUILDPLATFORM'),
      buildtime('docker.io/library/docker:29.6', 175, 'dockerd-release'),
    ],
  },
  {
    name: 'buildx: target integration-test (global ARGs in many FROMs)',
    file: 'buildx.Dockerfile',
    opts: { target: 'integration-test', buildArgs: { TARGETPLATFORM: 'linux/amd64' } },
    bases: [runtime('docker.io/library/golang:1.26-alpine3.23', 20, 'golatest', '$BUILDPLATFORM'), ...buildxTestImages],
  },
  {
    name: 'buildx: DOCKER_VERSION overrides DOCKER_CLI_VERSION through its default',
    file: 'buildx.Dockerfile',
    opts: { target: 'integration-test', buildArgs: { TARGETPLATFORM: 'linux/amd64', DOCKER_VERSION: '30.0' } },
    bases: [
      runtime('docker.io/library/golang:1.26-alpine3.23', 20, 'golatest', '$BUILDPLATFORM'),
      ...buildxTestImages.map((b) => (b.line === 21 ? { ...b, image: 'docker.io/moby/moby-bin:30.0' } : b.line === 22 ? { ...b, image: 'docker.io/dockereng/cli-bin:30.0' } : b)),
    ],
  },
  {
    name: 'buildx: target releaser (RUN --mount=from=<stage>, heredocs)',
    file: 'buildx.Dockerfile',
    opts: { target: 'releaser', buildArgs: { TARGETPLATFORM: 'linux/amd64' } },
    bases: [
      runtime('docker.io/library/alpine:3.23', 161, 'releaser', '$BUILDPLATFORM'),
      buildtime('docker.io/tonistiigi/xx:1.9.0', 19, 'xx', 'from', '$BUILDPLATFORM'),
      buildtime('docker.io/library/golang:1.26-alpine3.23', 20, 'golatest', 'from', '$BUILDPLATFORM'),
    ],
  },
];

describe('extractBases on real-world Dockerfiles', () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = extractBases(fixture(c.file), c.opts);
      assert.deepEqual(result.bases, c.bases);
      if (c.stageCount !== undefined) assert.equal(result.stages.length, c.stageCount);
      if (c.warnings) {
        assert.equal(result.warnings.length, c.warnings.length, JSON.stringify(result.warnings));
        c.warnings.forEach((w, i) => assert.match(result.warnings[i]!, w));
      }
    });
  }

  it('distribution: the stage list', () => {
    assert.deepEqual(extractBases(fixture('distribution-registry.Dockerfile')).stages, [
      { name: 'xx', index: 0, from: 'docker.io/tonistiigi/xx:1.9.0' },
      { name: 'base', index: 1, from: 'docker.io/library/golang:1.25.9-alpine3.23' },
      { name: 'version', index: 2, from: 'base' },
      { name: 'build', index: 3, from: 'base' },
      { name: 'binary', index: 4, from: 'scratch' },
      { name: 'releaser', index: 5, from: 'base' },
      { name: 'artifact', index: 6, from: 'scratch' },
      { index: 7, from: 'docker.io/library/alpine:3.23' },
    ]);
  });

  it('buildx: every stage is listed, the platform-dependent one as written', () => {
    const { stages } = extractBases(fixture('buildx.Dockerfile'));
    assert.equal(stages.find((s) => s.name === 'binaries')?.from, 'binaries-$TARGETOS');
    assert.equal(stages.find((s) => s.name === 'registry')?.from, 'docker.io/library/registry:3.0.0');
    assert.equal(stages.find((s) => s.name === 'dockerd-release')?.from, 'docker.io/library/docker:29.6');
    assert.deepEqual(stages[stages.length - 1], { index: 32, from: 'binaries' });
  });

  it('the same Dockerfile with CRLF line endings gives the same result', () => {
    for (const file of ['buildx.Dockerfile', 'golang-1.26-nanoserver-ltsc2022.Dockerfile', 'redis-7.2-debian.Dockerfile']) {
      const text = fixture(file);
      assert.deepEqual(extractBases(text.replace(/\n/g, '\r\n')), extractBases(text), file);
    }
  });
});
