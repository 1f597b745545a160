// The step graph of a task file: ACR's when rules (acr-builder's graph/dag.go: steps are added in order, so
// when names only earlier steps), levels for display, and the errors of a bad graph in acr-builder's words.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGraph, type GraphInput } from '../../src/taskfile/graph.js';

const shape = (steps: GraphInput[]) => buildGraph(steps).nodes.map((n) => `${n.id}<${n.after.join(',')}>@${n.level}`);

describe('step graph', () => {
  const cases: { name: string; steps: GraphInput[]; want: string[] }[] = [
    { name: 'no when: each step waits for the one before', steps: [{}, {}, {}], want: ['acb_step_0<>@0', 'acb_step_1<acb_step_0>@1', 'acb_step_2<acb_step_1>@2'] },
    { name: '"-" starts at once', steps: [{ id: 'a', when: ['-'] }, { id: 'b', when: ['-'] }, { id: 'c' }], want: ['a<>@0', 'b<>@0', 'c<b>@1'] },
    { name: 'ids wait for those steps', steps: [{ id: 'a' }, { id: 'b', when: ['-'] }, { id: 'c', when: ['a', 'b'] }], want: ['a<>@0', 'b<>@0', 'c<a,b>@1'] },
    { name: 'an empty when waits for the step before, as no when does', steps: [{ id: 'a' }, { id: 'b', when: [] }], want: ['a<>@0', 'b<a>@1'] },
    { name: 'a repeated id in when counts once', steps: [{ id: 'a' }, { id: 'b', when: ['a', 'a'] }], want: ['a<>@0', 'b<a>@1'] },
    { name: 'diamond', steps: [{ id: 'a' }, { id: 'b', when: ['a'] }, { id: 'c', when: ['a'] }, { id: 'd', when: ['b', 'c'] }], want: ['a<>@0', 'b<a>@1', 'c<a>@1', 'd<b,c>@2'] },
    { name: 'the first step without when starts at once', steps: [{ id: 'x' }], want: ['x<>@0'] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(shape(c.steps), c.want));

  const bad: { name: string; steps: GraphInput[]; message: RegExp }[] = [
    { name: 'an unknown id', steps: [{ id: 'a' }, { when: ['nope'] }], message: /^nope does not exist as a vertex \[from: nope, to: acb_step_1\]: no step has the id nope; steps before it: a$/ },
    { name: 'an id in another case', steps: [{ id: 'Build' }, { id: 'b', when: ['build'] }], message: /^build does not exist as a vertex .*did you mean Build\?/ },
    { name: 'a later step', steps: [{ id: 'a', when: ['b'] }, { id: 'b', when: ['-'] }], message: /^b does not exist as a vertex \[from: b, to: a\]: a step waits only for steps written before it, and b is step 2; move it before step 1$/ },
    { name: 'waiting for itself', steps: [{ id: 'a', when: ['a'] }], message: /^Step ID: a is self-referenced$/ },
    { name: 'a duplicate id', steps: [{ id: 'a' }, { id: 'a' }], message: /^a already exists as a vertex \(step 1 has the id a/ },
    { name: 'an id clashing with a default one', steps: [{ id: 'acb_step_1' }, {}], message: /^acb_step_1 already exists as a vertex/ },
    { name: 'the reserved root id', steps: [{ id: 'acb_root' }], message: /^acb_root is a reserved ID, it can't be used$/ },
    { name: '"-" with ids', steps: [{ id: 'a' }, { when: ['-', 'a'] }], message: /^step cannot contain other IDs in when if the immediate execution token is specified/ },
    { name: '"-" twice', steps: [{ id: 'a' }, { when: ['-', '-'] }], message: /^step cannot contain other IDs in when/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, () => {
      const { issues } = buildGraph(c.steps);
      assert.ok(issues.some((i) => c.message.test(i.message)), JSON.stringify(issues));
    });
  }

  it('a cycle cannot be written: its first edge names a later step', () => {
    const { issues } = buildGraph([{ id: 'a', when: ['c'] }, { id: 'b', when: ['a'] }, { id: 'c', when: ['b'] }]);
    assert.deepEqual(issues.map((i) => [i.index, i.whenIndex, i.message.split(':')[0]]), [[0, 0, 'c does not exist as a vertex [from']]);
  });

  it('a 200-step chain', () => {
    const chain = Array.from({ length: 200 }, (_, i) => ({ id: `s${i}` }));
    assert.equal(buildGraph(chain).nodes.at(-1)!.level, 199);
  });
});
