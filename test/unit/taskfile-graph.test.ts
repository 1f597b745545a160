// The step graph of a task file: ACR's when rules, levels for display, and the errors of a bad graph.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGraph, type GraphInput } from '../../src/taskfile/graph.js';

const shape = (steps: GraphInput[]) => buildGraph(steps).nodes.map((n) => `${n.id}<${n.after.join(',')}>@${n.level}`);

describe('step graph', () => {
  const cases: { name: string; steps: GraphInput[]; want: string[] }[] = [
    { name: 'no when: each step waits for the one before', steps: [{}, {}, {}], want: ['acb_step_0<>@0', 'acb_step_1<acb_step_0>@1', 'acb_step_2<acb_step_1>@2'] },
    { name: '"-" starts at once', steps: [{ id: 'a', when: ['-'] }, { id: 'b', when: ['-'] }, { id: 'c' }], want: ['a<>@0', 'b<>@0', 'c<b>@1'] },
    { name: 'ids wait for those steps', steps: [{ id: 'a' }, { id: 'b', when: ['-'] }, { id: 'c', when: ['a', 'b'] }], want: ['a<>@0', 'b<>@0', 'c<a,b>@1'] },
    { name: 'a later step may be waited for', steps: [{ id: 'a', when: ['b'] }, { id: 'b', when: ['-'] }], want: ['a<b>@1', 'b<>@0'] },
    { name: 'a repeated id in when counts once', steps: [{ id: 'a' }, { id: 'b', when: ['a', 'a'] }], want: ['a<>@0', 'b<a>@1'] },
    { name: 'diamond', steps: [{ id: 'a' }, { id: 'b', when: ['a'] }, { id: 'c', when: ['a'] }, { id: 'd', when: ['b', 'c'] }], want: ['a<>@0', 'b<a>@1', 'c<a>@1', 'd<b,c>@2'] },
    { name: 'the first step without when starts at once', steps: [{ id: 'x' }], want: ['x<>@0'] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(shape(c.steps), c.want));

  const bad: { name: string; steps: GraphInput[]; message: RegExp }[] = [
    { name: 'an unknown id', steps: [{ id: 'a' }, { when: ['nope'] }], message: /unknown step id nope/ },
    { name: 'waiting for itself', steps: [{ id: 'a', when: ['a'] }], message: /waits for itself/ },
    { name: 'a duplicate id', steps: [{ id: 'a' }, { id: 'a' }], message: /duplicate step id a/ },
    { name: 'an id clashing with a default one', steps: [{ id: 'acb_step_1' }, {}], message: /duplicate step id acb_step_1/ },
    { name: 'the reserved root id', steps: [{ id: 'acb_root' }], message: /reserved/ },
    { name: '"-" with ids', steps: [{ id: 'a' }, { when: ['-', 'a'] }], message: /cannot be combined/ },
    { name: 'a three-step cycle', steps: [{ id: 'a', when: ['c'] }, { id: 'b', when: ['a'] }, { id: 'c', when: ['b'] }], message: /cycle: (\w → ){3}\w/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, () => {
      const { issues } = buildGraph(c.steps);
      assert.ok(issues.some((i) => c.message.test(i.message)), JSON.stringify(issues));
    });
  }

  it('a 200-step chain and a 200-step cycle are handled without recursion', () => {
    const chain = Array.from({ length: 200 }, (_, i) => ({ id: `s${i}` }));
    assert.equal(buildGraph(chain).nodes.at(-1)!.level, 199);
    const cycle = chain.map((s, i) => ({ ...s, when: [`s${(i + 1) % 200}`] }));
    assert.match(buildGraph(cycle).issues[0]!.message, /cycle/);
  });
});
