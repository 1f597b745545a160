// `when` as ACR reads it from the YAML: go-yaml (acr-builder's parser) reads a bare `-` inside a flow list
// as the string "-", so `when: [-]` starts a step at once there and must here too; the other spellings
// read the same in both parsers, and the ones go-yaml refuses are refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskFileError } from '../../src/taskfile/errors.js';
import { loadTaskFile } from '../../src/taskfile/load.js';
import { parseValuesFile } from '../../src/taskfile/values.js';

const run = { Registry: '127.0.0.1:5000', ID: 'r1' };
/** Three steps, the second with `when: <spelling>`: what the second waits for, or the error. */
function secondWaitsFor(when: string): string[] | string {
  const text = `steps:\n  - id: a\n    cmd: x\n  - id: c\n    cmd: y\n    when: ${when}\n  - id: b\n    cmd: z\n`;
  try {
    return loadTaskFile(text, { file: 'acb.yaml', run }).task.steps[1]!.after;
  } catch (err) {
    if (!(err instanceof TaskFileError)) throw err;
    return err.message;
  }
}

describe('when: ["-"] and its spellings, as go-yaml reads them', () => {
  const cases: { when: string; want: string[] | RegExp }[] = [
    { when: '["-"]', want: [] },
    { when: "['-']", want: [] },
    { when: '[-]', want: [] },
    { when: '[ -]', want: [] },
    { when: '[-]   # at once', want: [] },
    { when: '\n      - "-"', want: [] },
    { when: '[]', want: ['a'] },
    { when: '[a]', want: ['a'] },
    { when: '[-, a]', want: /^acb\.yaml:6:15: step cannot contain other IDs in when if the immediate execution token is specified/ },
    { when: '[a,-]', want: /^acb\.yaml:6:12: step cannot contain other IDs in when/ },
    { when: '[-,-]', want: /step cannot contain other IDs in when/ },
    // go-yaml refuses a `-` followed by a space in a flow list, and a `-` after the key on its line.
    { when: '[ - ]', want: /^acb\.yaml:6:13: YAML: / },
    { when: '-', want: /^acb\.yaml:6:11: YAML: / },
    // `-a` is an id like any other, and none has it.
    { when: '[-a]', want: /^acb\.yaml:6:12: -a does not exist as a vertex \[from: -a, to: c\]/ },
    { when: '[b]', want: /^acb\.yaml:6:12: b does not exist as a vertex \[from: b, to: c\]: a step waits only for steps written before it, and b is step 3; move it before step 2$/ },
  ];
  for (const c of cases) {
    it(`when: ${c.when.trim()}`, () => {
      const got = secondWaitsFor(c.when);
      if (Array.isArray(c.want)) assert.deepEqual(got, c.want);
      else assert.match(String(got), c.want);
    });
  }

  it('keeps a "-" inside a quoted string or a block scalar as written', () => {
    const text = 'steps:\n  - cmd: x echo "[-]"\n  - cmd: |\n      x echo [-, b]\n';
    const { task } = loadTaskFile(text, { file: 'acb.yaml', run });
    assert.deepEqual(task.steps.map((s) => s.cmd!.args), [['echo', '[-]'], ['echo', '[-,', 'b]']]);
  });

  it('reads a bare "-" in a values file\'s flow list as go-yaml does', () => {
    assert.deepEqual(parseValuesFile('flags: [-, x]\nmap: {k: -}\n', 'values.yaml'), { flags: ['-', 'x'], map: { k: '-' } });
  });
});
