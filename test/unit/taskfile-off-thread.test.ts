// Task files checked in a worker thread answer as loadTaskFile does: nothing for a good file, a TaskFileError
// with every issue's line and column for a bad one, bytes and text alike; the main thread stays free meanwhile.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TaskFileError } from '../../src/taskfile/errors.js';
import { TaskFileChecker } from '../../src/taskfile/off-thread.js';

const opts = { file: 'acb.yaml', run: { ID: 'r0000000', Registry: '127.0.0.1:5000' } };

describe('TaskFileChecker', () => {
  const checker = new TaskFileChecker();
  after(() => checker.close());

  it('accepts a good file, given as text or bytes', async () => {
    await checker.check('steps:\n  - cmd: a\n', opts);
    await checker.check(Buffer.from('steps:\n  - cmd: a\n'), opts);
  });

  it('refuses a bad one with its issues', async () => {
    await assert.rejects(checker.check('steps:\n  - cmd: a\n    nope: 1\n', opts), (err: unknown) => {
      assert.ok(err instanceof TaskFileError);
      assert.equal(err.status, 400);
      assert.equal(err.message, 'acb.yaml:3:5: unknown property nope in steps.0');
      return true;
    });
    await assert.rejects(checker.check(new Uint8Array([0x73, 0x3a, 0xff]), opts), /acb\.yaml:1:3: the task file is not UTF-8/);
  });

  it('keeps the event loop free while files are checked', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const flat = `steps: [${'a,'.repeat(30_000)}]\n`;
    await Promise.allSettled(Array.from({ length: 5 }, () => checker.check(flat, opts)));
    clearInterval(timer);
    assert.ok(ticks > 0, 'the timer ran while the checks did');
  });
});
