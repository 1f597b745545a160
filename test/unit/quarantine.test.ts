// Which runs go to quarantine, and what a finished quarantined run leaves waiting: pure rules, no Redis.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageOfRun } from '../../src/quarantine/gate.js';
import { isQuarantined } from '../../src/quarantine/policy.js';
import type { Run } from '../../src/runs/model.js';

const REGISTRY = '127.0.0.1:5000';
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const DI = `sha256:${'9'.repeat(64)}`;

describe('quarantine policy', () => {
  const cases: [string[], string[], boolean, boolean][] = [
    [[], [`${REGISTRY}/prod/app:v1`], false, false],
    [[], [`${REGISTRY}/prod/app:v1`], true, true],
    [['prod/*'], [`${REGISTRY}/prod/app:v1`], false, true],
    [['prod/*'], [`${REGISTRY}/dev/app:v1`], false, false],
    // One tag in a quarantined repository holds back the whole run: its other tags name the same image.
    [['prod/*'], [`${REGISTRY}/dev/app:v1`, `${REGISTRY}/prod/app:v1`], false, true],
    [[`${REGISTRY}/prod/*`], [`${REGISTRY}/prod/app:v1`], false, true],
    [['other.example:5000/prod/*'], [`${REGISTRY}/prod/app:v1`], false, false],
    // A pattern without a host names the default registry's repositories only.
    [['prod/*'], ['registry.example.com/prod/app:v1'], false, false],
  ];
  for (const [repositories, images, task, want] of cases) {
    it(`${JSON.stringify(repositories)} ${images.join(' ')}${task ? ' (task set)' : ''} → ${want}`, () => {
      assert.equal(isQuarantined({ repositories, defaultRegistry: REGISTRY }, images, task), want);
    });
  }
});

function run(patch: Partial<Run>): Run {
  return {
    id: 'r1',
    status: 'succeeded',
    platform: 'linux/amd64',
    platforms: ['linux/amd64'],
    createdAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:01:00Z',
    trigger: { type: 'manual' },
    request: { dockerfile: 'Dockerfile', images: [], buildArgs: {}, secretBuildArgKeys: [], platform: 'linux/amd64', noPush: false, timeoutSeconds: 60, quarantine: true },
    outputImages: [
      { registry: REGISTRY, repository: 'prod/app', tag: 'v1', digest: D1, quarantine: { state: 'quarantined' } },
      { registry: REGISTRY, repository: 'prod/app', tag: 'latest', digest: D1, quarantine: { state: 'quarantined' } },
    ],
    ...patch,
  };
}

describe('what a quarantined run leaves waiting', () => {
  it('names every tag the image waits for, and its platform', () => {
    assert.deepEqual(imageOfRun(run({ task: 'app' })), {
      digest: D1,
      images: [`${REGISTRY}/prod/app:v1`, `${REGISTRY}/prod/app:latest`],
      platforms: { 'linux/amd64': D1 },
      runId: 'r1',
      task: 'app',
      createdAt: '2026-01-01T00:01:00Z',
      state: 'quarantined',
    });
  });
  it('names each platform manifest of a multi-platform index', () => {
    const multi = run({
      platforms: ['linux/amd64', 'linux/arm64'],
      platformResults: [
        { platform: 'linux/amd64', status: 'succeeded', digest: D1 },
        { platform: 'linux/arm64', status: 'succeeded', digest: D2 },
      ],
      outputImages: [{ registry: REGISTRY, repository: 'prod/app', tag: 'v1', digest: DI, quarantine: { state: 'quarantined' } }],
    });
    assert.deepEqual(imageOfRun(multi)?.platforms, { 'linux/amd64': D1, 'linux/arm64': D2 });
    assert.equal(imageOfRun(multi)?.digest, DI);
  });
  it('leaves nothing for a run that failed, was not quarantined, or pushed nothing', () => {
    assert.equal(imageOfRun(run({ status: 'failed' })), undefined);
    assert.equal(imageOfRun(run({ request: { ...run({}).request, quarantine: undefined } })), undefined);
    assert.equal(imageOfRun(run({ outputImages: [] })), undefined);
  });
});
