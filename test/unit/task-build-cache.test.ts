// The cache a task's run carries by default: exported inline into what it pushes, imported from the task's
// latest pushed images by digest and from its tags that do not change between runs, unless the task decides.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stableTags, taskBuildOptions } from '../../src/tasks/build-cache.js';
import type { OutputImage } from '../../src/runs/model.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const image = (digest: string, tag = 'r1'): OutputImage => ({ registry: 'reg.test:5000', repository: 'team/app', tag, digest });

describe('taskBuildOptions', () => {
  it('a task with nothing about cache exports inline cache and imports from its last successful image and its tags', () => {
    const options = taskBuildOptions({
      options: { pull: true },
      pushes: true,
      recentRuns: [
        { status: 'failed', outputImages: [] },
        { status: 'succeeded', outputImages: [image(DIGEST_A), image(DIGEST_A, 'latest')] },
        { status: 'succeeded', outputImages: [image(DIGEST_B)] },
      ],
      stableTags: ['team/app:latest'],
    });
    assert.deepEqual(options, { pull: true, cacheFrom: [`reg.test:5000/team/app@${DIGEST_A}`, `reg.test:5000/team/app@${DIGEST_B}`, 'team/app:latest'], cacheTo: 'inline' });
  });

  it("imports from the latest three images pushed, each once: an image built on imported cache does not carry it on", () => {
    const digests = ['a', 'a', 'b', 'c', 'd'].map((c) => `sha256:${c.repeat(64)}`);
    const options = taskBuildOptions({ options: {}, pushes: true, recentRuns: digests.map((d) => ({ status: 'succeeded' as const, outputImages: [image(d)] })), stableTags: [] });
    assert.deepEqual(options.cacheFrom, ['a', 'b', 'c'].map((c) => `reg.test:5000/team/app@sha256:${c.repeat(64)}`));
  });

  it('skips an image a scanner rejected', () => {
    const rejected = { ...image(DIGEST_A), quarantine: { state: 'rejected' as const } };
    const options = taskBuildOptions({ options: {}, pushes: true, recentRuns: [{ status: 'succeeded', outputImages: [rejected] }, { status: 'succeeded', outputImages: [image(DIGEST_B)] }], stableTags: [] });
    assert.deepEqual(options.cacheFrom, [`reg.test:5000/team/app@${DIGEST_B}`]);
  });

  it('a first run imports from its tags only', () => {
    const options = taskBuildOptions({ options: {}, pushes: true, recentRuns: [{ status: 'running', outputImages: [] }], stableTags: ['app:main'] });
    assert.deepEqual(options, { cacheFrom: ['app:main'], cacheTo: 'inline' });
  });

  it('a run that pushes nothing imports cache but exports none', () => {
    const options = taskBuildOptions({ options: {}, pushes: false, recentRuns: [{ status: 'succeeded', outputImages: [image(DIGEST_B)] }], stableTags: [] });
    assert.deepEqual(options, { cacheFrom: [`reg.test:5000/team/app@${DIGEST_B}`] });
  });

  it('with nothing to import from and nothing pushed, nothing is added', () => {
    assert.deepEqual(taskBuildOptions({ options: { labels: { a: 'b' } }, pushes: false, recentRuns: [], stableTags: [] }), { labels: { a: 'b' } });
  });

  const own: [string, object][] = [
    ['noCache', { noCache: true }],
    ['cacheFrom', { cacheFrom: ['other/cache:1'] }],
    ['an empty cacheFrom', { cacheFrom: [] }],
    ['cacheTo', { cacheTo: 'inline' }],
  ];
  for (const [what, options] of own) {
    it(`a task that sets ${what} keeps exactly its own options`, () => {
      assert.deepEqual(taskBuildOptions({ options, pushes: true, recentRuns: [{ status: 'succeeded', outputImages: [image(DIGEST_A)] }], stableTags: ['app:latest'] }), options);
    });
  }

  it('imports from at most 10 images, each once', () => {
    const tags = Array.from({ length: 12 }, (_, i) => `app:t${i % 11}`);
    const options = taskBuildOptions({ options: {}, pushes: true, recentRuns: [], stableTags: tags });
    assert.deepEqual(options.cacheFrom, Array.from({ length: 10 }, (_, i) => `app:t${i}`));
  });
});

describe('stableTags', () => {
  const variables = (runId: string, commit: string) => ({ ID: runId, Registry: 'reg.test:5000', RegistryName: 'reg', Date: 'now', Commit: commit, Branch: 'main', TaskName: 'web', OS: 'linux', Architecture: 'amd64' });
  const cases: [template: string, stable: string | undefined][] = [
    ['app:latest', 'app:latest'],
    ['app', 'app'],
    ['app:{{.Run.Branch}}', 'app:main'],
    ['{{.Run.Registry}}/app:$TaskName-$Architecture', 'reg.test:5000/app:web-amd64'],
    ['app:{{.Run.ID}}', undefined],
    ['app:$ID', undefined],
    ['app:{{.Run.Commit}}', undefined],
    ['app:{{.Run.Date}}', undefined],
    ['app:main-{{.Run.ID}}', undefined],
    ['app:{{.Run.SharedVolume}}', undefined],
  ];
  for (const [template, stable] of cases) {
    it(`${template} → ${stable ?? 'not stable'}`, () => assert.deepEqual(stableTags([template], variables), stable ? [stable] : []));
  }
});
