// The task file's version as acr-builder reads it: the valid versions in any case, its message for any
// other, v1.0.0 for a file without one, and aliases only from v1.1.0 (compared as strings, on the version
// line of the text as written).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskFileError } from '../../src/taskfile/errors.js';
import { loadTaskFile, type LoadedTask } from '../../src/taskfile/load.js';
import { aliasesApply, findVersion } from '../../src/taskfile/version.js';

const run = { ID: 'ca1', Registry: '127.0.0.1:5000', RegistryName: '127' };
const imageAliases = { bash: '127.0.0.1:5000/base/busybox:latest' };
const load = (text: string): LoadedTask => loadTaskFile(text, { file: 'acb.yaml', run, imageAliases });
const STEPS = 'steps:\n  - cmd: bash echo $ID\n  - push: ["$Registry/app:1"]\n';

describe('task file versions', () => {
  for (const version of ['v1.1.0', 'v1.0.0', '1.0-preview-1', 'V1.1.0', '"v1.0.0"']) {
    it(`accepts ${version}`, () => assert.equal(load(`version: ${version}\nsteps:\n  - cmd: bash true\n`).task.version, version.replaceAll('"', '')));
  }
  for (const version of ['v2', 'v1.1', '1.1.0', 'latest']) {
    it(`refuses ${version} in acr-builder's words`, () => {
      assert.throws(() => load(`version: ${version}\nsteps:\n  - cmd: bash true\n`), (err: unknown) => {
        assert.ok(err instanceof TaskFileError);
        assert.equal(err.message, `acb.yaml:1:10: invalid version specified: "${version}", the current version is "v1.0.0" (valid: v1.1.0, v1.0.0, 1.0-preview-1)`);
        return true;
      });
    });
  }
  it('a file without a version is v1.0.0', () => assert.equal(load('steps:\n  - cmd: bash true\n').task.version, 'v1.0.0'));
});

describe('aliases only from v1.1.0', () => {
  it('v1.1.0 expands run aliases and the task\'s own', () => {
    const { task, warnings } = load(`version: v1.1.0\nalias:\n  values:\n    greet: hi\n${STEPS.replace('$ID', '$ID $greet')}`);
    assert.deepEqual(task.steps[0]!.cmd, { image: '127.0.0.1:5000/base/busybox:latest', args: ['echo', 'ca1', 'hi'] });
    assert.deepEqual(task.steps[1]!.push, ['127.0.0.1:5000/app:1']);
    assert.deepEqual(warnings, []);
  });
  for (const version of ['', 'version: v1.0.0\n', 'version: V1.1.0\n', 'version: 1.0-preview-1\n']) {
    it(`${version.trim() || 'no version'}: $ is left as written, with a warning`, () => {
      const { task, warnings } = load(`${version}steps:\n  - cmd: bash echo $ID\n`);
      // The server's image aliases still name images: they stand for what the server can reach, at any version.
      assert.deepEqual(task.steps[0]!.cmd, { image: '127.0.0.1:5000/base/busybox:latest', args: ['echo', '$ID'] });
      const line = version ? 3 : 2;
      assert.deepEqual(warnings, [`${line}:20: $ID is not expanded: aliases apply from version: v1.1.0 and this file's version is ${version ? version.slice(9).trim() : 'not given (v1.0.0)'}, as in ACR; write {{.Run.ID}} or set version: v1.1.0`]);
    });
  }
  it('v1.0.0: a push of $Registry/… is an invalid reference, as docker would find it in ACR', () => {
    assert.throws(() => load(`version: v1.0.0\n${STEPS}`), /invalid image reference "\$Registry\/app:1"/);
  });
  it('v1.0.0: the alias section is ignored, with a warning at its key', () => {
    const { task, warnings } = load('version: v1.0.0\nalias:\n  values:\n    img: bash\nsteps:\n  - cmd: img true\n');
    assert.equal(task.steps[0]!.cmd!.image, 'img');
    assert.match(warnings[0]!, /^2:1: the alias section is ignored: aliases apply from version: v1\.1\.0/);
  });
  it('the version is read from the text before templates, as ACR reads it', () => {
    assert.equal(findVersion('# comment\n\nversion: "v1.1.0"\nsteps: []\n'), 'v1.1.0');
    assert.equal(findVersion("'version': v1.0.0\n"), 'v1.0.0');
    assert.equal(findVersion('  version: v1.1.0\n'), '', 'an indented line is not the version');
    assert.equal(findVersion('versions: x\nversion: v1.1.0\n'), 'v1.1.0');
    assert.equal(aliasesApply('v1.1.0'), true);
    assert.equal(aliasesApply('V1.1.0'), false);
    assert.equal(aliasesApply('1.0-preview-1'), false);
    assert.equal(aliasesApply(''), false);
  });
});
