// A build step's `cache` as acr-builder reads it (graph/step.go): enabled or disabled in any case, its
// message for any other value, and the cache image beside the first tag that names a registry (else the
// run's registry and the first tag's repository), tagged cache_<task>_<step>.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadTaskFile } from '../../src/taskfile/load.js';
import { buildCacheImage } from '../../src/taskfile/resolve-steps.js';

const load = (text: string, TaskName = '') => loadTaskFile(`version: v1.1.0\n${text}`, { file: 'acb.yaml', run: { Registry: '127.0.0.1:5000', ID: 'r1', TaskName } });

describe('cache on build steps', () => {
  it('cache: enabled names the cache image beside the first tag, for the task', () => {
    const { task } = load('steps:\n  - id: web\n    build: -t app:$ID -t app:latest .\n    cache: enabled\n', 'nightly');
    assert.equal(task.steps[0]!.buildCache, '127.0.0.1:5000/app:cache_nightly_web');
  });
  it('a run without a task is ACR\'s quickrun, and a default step id is the step\'s', () => {
    const { task } = load('steps:\n  - build: -t team/app:1 .\n    cache: ENABLED\n');
    assert.equal(task.steps[0]!.buildCache, '127.0.0.1:5000/team/app:cache_quickrun_acb_step_0');
  });
  it('disabled, or no cache, is a build without one', () => {
    const { task } = load('steps:\n  - build: -t app:1 .\n    cache: Disabled\n  - build: -t app:2 .\n');
    assert.deepEqual(task.steps.map((s) => s.buildCache), [undefined, undefined]);
  });
  it("another value is refused in acr-builder's words", () => {
    assert.throws(() => load('steps:\n  - build: -t app:1 .\n    cache: on\n'), /acb\.yaml:4:12: invalid value for cache property\. Valid values are 'enabled', 'disabled'$/);
  });
  it('has no effect without a tag or on another step kind, and says so', () => {
    const { task, warnings } = load('steps:\n  - build: .\n    cache: enabled\n  - cmd: busybox true\n    cache: enabled\n');
    assert.equal(task.steps[0]!.buildCache, undefined);
    assert.deepEqual(warnings, ['4:12: cache: enabled has no effect on a build without -t (the cache is kept beside the first tag), as in ACR', '6:12: cache: enabled has no effect on a cmd step']);
  });

  const images: [tags: string[], want: string | undefined][] = [
    [['app:1'], 'reg.test:5000/app:cache_web_s1'],
    [['app:1', 'my.io/team/app:2'], 'my.io/team/app:cache_web_s1'],
    [['localhost/x:1', 'my.io/y:2'], 'localhost/x:cache_web_s1'],
    [['team/app', 'other/app'], 'reg.test:5000/team/app:cache_web_s1'],
    [[], undefined],
  ];
  for (const [tags, want] of images) {
    it(`the cache image of ${tags.join(' ') || 'no tags'}`, () => assert.equal(buildCacheImage(tags, { registry: 'reg.test:5000', taskName: 'web' }, 's1'), want));
  }
});
