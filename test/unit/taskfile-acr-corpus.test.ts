// ACR's published task files (test/fixtures/taskfiles/acr/, sources in its SOURCES.md), read here as ACR
// reads them: each validates, with the values its sample documents, and resolves to the steps ACR would run.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { describe, it } from 'node:test';
import { loadTaskFile } from '../../src/taskfile/load.js';

const DIR = new URL('../fixtures/taskfiles/acr/', import.meta.url);
const run = { ID: 'ca1', Registry: '127.0.0.1:5000', RegistryName: '127', Date: '20261125-150000z', OS: 'linux', Architecture: 'amd64', Commit: 'abc', Branch: 'main', TaskName: 'web', SharedVolume: '/ws' };
// ACR's `bash` alias names an image on mcr.microsoft.com; a server points it at its own (SLIPWAY_TASK_IMAGE_ALIASES).
const imageAliases = { bash: '127.0.0.1:5000/base/busybox:latest' };
/** What each sample's documentation passes with --set. */
const VALUES: Record<string, Record<string, unknown>> = {
  'mounts-multistep.yaml': { secret1: 'one', secret2: 'two' },
  'multiple-registries.yaml': { REGISTRY1: 'one.example.com', REGISTRY2: 'two.example.com' },
};

const load = async (name: string) => loadTaskFile(await fs.readFile(new URL(name, DIR), 'utf8'), { file: name, run, values: VALUES[name] ?? {}, imageAliases });

describe("ACR's published task files", async () => {
  const names = (await fs.readdir(DIR)).filter((n) => /\.ya?ml$/.test(n)).sort();
  it('has the corpus', () => assert.ok(names.length >= 14, names.join(' ')));
  for (const name of names) {
    it(`${name} validates`, async () => {
      const { task } = await load(name);
      assert.ok(task.steps.length > 0);
    });
  }

  it('reads $Registry and $ID in build and push steps', async () => {
    const { task } = await load('build-push-hello-world-multi.yaml');
    assert.deepEqual(task.steps[1]!.push, ['127.0.0.1:5000/hello-world:ca1', '127.0.0.1:5000/hello-world:latest']);
  });
  it('runs when: ["-"] steps together, and a step after the one it names', async () => {
    const { task } = await load('build-test-hello-world.yaml');
    assert.deepEqual(task.steps.map((s) => [s.id, s.level]), [['build-hello-world', 0], ['build-hello-world-test', 0], ['hello-world', 1], ['func-tests', 2]]);
  });
  it('renders values piped through b64enc into secret volumes', async () => {
    const { task } = await load('mounts-multistep.yaml');
    assert.equal(task.steps.length, 2);
  });
});

describe('ACR readings', () => {
  it('stepTimeout: 0 and timeout: 0 mean the default, as acr-builder reads a zero timeout', () => {
    const { task } = loadTaskFile('stepTimeout: 0\nsteps:\n  - cmd: busybox true\n    timeout: 0\n  - cmd: busybox true\n    timeout: 30\n', { file: 'acb.yaml', run });
    assert.equal(task.stepTimeoutSeconds, 600);
    assert.deepEqual(task.steps.map((s) => s.timeoutSeconds), [600, 30]);
  });
});
