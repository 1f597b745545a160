// Every example in task-schemas/examples is a valid task file (the integration test runs them), and the
// JSON Schema published for editors accepts the same shape the loader does.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { describe, it } from 'node:test';
import { loadTaskFile } from '../../src/taskfile/load.js';

const DIR = new URL('../../task-schemas/examples/', import.meta.url);
export const EXAMPLE_INPUTS = { values: { greeting: 'hi' }, secrets: { token: 's3cr3t-token' } };
const run = { ID: 'ex1', Registry: '127.0.0.1:5000', RegistryName: '127', Date: '20261125-150000z', OS: 'linux', Architecture: 'amd64', Commit: '', Branch: '', TaskName: '', SharedVolume: '/ws' };

describe('task file examples', async () => {
  const names = (await fs.readdir(DIR)).filter((n) => n.endsWith('.yaml')).sort();
  it('there are examples of build+push+cmd, parallel steps, a service reached by id, secrets and values', () => {
    assert.deepEqual(names, ['build-push-cmd.yaml', 'parallel.yaml', 'secrets-values.yaml', 'service-by-id.yaml']);
  });
  for (const name of names) {
    it(`${name} validates`, async () => {
      const text = await fs.readFile(new URL(name, DIR), 'utf8');
      const { task, warnings } = loadTaskFile(text, { file: name, run, ...EXAMPLE_INPUTS });
      assert.deepEqual(warnings, []);
      assert.ok(task.steps.length > 0);
      assert.match(text, /^# yaml-language-server: \$schema=\.\.\/acr-task\.schema\.json$/m, 'editors find the schema');
    });
  }
  it('the parallel example starts two steps together and joins them', async () => {
    const { task } = loadTaskFile(await fs.readFile(new URL('parallel.yaml', DIR), 'utf8'), { file: 'parallel.yaml', run });
    assert.deepEqual(task.steps.map((s) => [s.id, s.level]), [['left', 0], ['right', 0], ['join', 1]]);
  });
});
