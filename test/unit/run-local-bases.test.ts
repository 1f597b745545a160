// How a build step finds its run's own images in its Dockerfile, with no Engine: what it puts in, what it
// logs, what it refuses (--pull, another platform, RUN --mount=from=), and how it writes messages back.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTaskFile } from '../../src/taskfile/load.js';
import { StepFailedError } from '../../workers/steps/cmd-step.js';
import { RunImages } from '../../workers/steps/run-images.js';
import { asRequested, runLocalBases } from '../../workers/steps/run-local-bases.js';

const BASE = '127.0.0.1:5000/x/base:r1';
const run = { ID: 'r1', Registry: '127.0.0.1:5000', RegistryName: '127', Date: '20261125-150000z', OS: 'linux', Architecture: 'amd64', Commit: '', Branch: '', TaskName: '', SharedVolume: '/workspace' };

function buildStep(args: string) {
  const { task } = loadTaskFile(`steps:\n  - id: app\n    build: ${args}\n`, { file: 'acb.yaml', run });
  return task.steps[0]!;
}

describe('runLocalBases', () => {
  let dir: string;
  // Nothing is released here: the names only ever reach the Engine through a build.
  const images = new RunImages('p-r1', { removeImage: async () => undefined });
  images.built([BASE], 'base', 'linux/amd64');
  const local = images.localFor(BASE)!;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-local-bases-'));
    await fs.writeFile(path.join(dir, 'Dockerfile'), `ARG BASE\nFROM busybox AS tool\nFROM \${BASE}\nCOPY --from=tool / /t\n`);
    await fs.writeFile(path.join(dir, 'plain.Dockerfile'), 'FROM busybox\n');
    await fs.writeFile(path.join(dir, 'mount.Dockerfile'), `FROM busybox\nRUN --mount=from=${BASE},target=/b true\n`);
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  const find = (args: string, file: string) => {
    const lines: string[] = [];
    return { lines, found: runLocalBases(buildStep(args), dir, file, { images, platform: 'linux/amd64', log: (l) => lines.push(l) }) };
  };

  it('puts the run image in for the FROM a build arg names, says so, and leaves other stages alone', async () => {
    const { lines, found } = find(`--build-arg BASE=${BASE} .`, 'Dockerfile');
    const out = (await found)!;
    assert.equal(out.dockerfileText, `ARG BASE\nFROM busybox AS tool\nFROM ${local}\nCOPY --from=tool / /t\n`);
    assert.deepEqual([...out.requested], [[local, BASE]]);
    assert.deepEqual(lines, [`slipway: FROM ${BASE} is this run's image from step base`]);
    assert.equal(await fs.readFile(path.join(dir, 'Dockerfile'), 'utf8'), `ARG BASE\nFROM busybox AS tool\nFROM \${BASE}\nCOPY --from=tool / /t\n`, 'the source is not written');
    assert.equal(asRequested(`#5 [stage-1 1/2] FROM docker.io/${local}`, out), `#5 [stage-1 1/2] FROM ${BASE}`);
    assert.equal(asRequested(`pull access denied for ${local}`, out), `pull access denied for ${BASE}`);
  });

  it('nothing to do for a Dockerfile without the run images', async () => {
    assert.equal(await find('-f plain.Dockerfile .', 'plain.Dockerfile').found, undefined);
  });

  it('refuses --pull, another platform, and RUN --mount=from= of a run image, saying what to do', async () => {
    await assert.rejects(find(`--pull --build-arg BASE=${BASE} .`, 'Dockerfile').found, (err) => err instanceof StepFailedError && /Dockerfile:3: .*--pull would look for it in its registry: drop --pull/.test(err.message));
    await assert.rejects(
      find(`--platform linux/arm64 --build-arg BASE=${BASE} .`, 'Dockerfile').found,
      (err) => err instanceof StepFailedError && /built for linux\/amd64, and this build needs it for linux\/arm64: build it for linux\/arm64 as well/.test(err.message),
    );
    await assert.rejects(find('-f mount.Dockerfile .', 'mount.Dockerfile').found, (err) => err instanceof StepFailedError && /mount\.Dockerfile:2: .* is built by step base of this run, which RUN --mount from= cannot use: build a stage on it/.test(err.message));
  });
});
