import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRunTemplate, renderRunTemplate } from '../../src/tasks/template.js';

const vars = { ID: 'r000001a', Registry: '127.0.0.1:5000', RegistryName: '127', Date: '20261125-150000z', Commit: 'a'.repeat(40), Branch: 'main', TaskName: 'web' };

describe('run templates', () => {
  const cases: [string, string][] = [
    ['app:{{.Run.ID}}', 'app:r000001a'],
    ['{{ .Run.Registry }}/app:{{.Run.Branch}}-{{.Run.Commit}}', `127.0.0.1:5000/app:main-${'a'.repeat(40)}`],
    ['app:$ID', 'app:r000001a'],
    ['$Registry/app:${ID}', '127.0.0.1:5000/app:r000001a'],
    ['app:{{.Run.TaskName}}-{{.Run.Date}}', 'app:web-20261125-150000z'],
    ['app:v1', 'app:v1'],
    ['price$$5', 'price$5'],
  ];
  for (const [input, want] of cases) it(`renders ${input}`, () => assert.equal(renderRunTemplate(input, vars), want));

  const bad: [string, RegExp][] = [
    ['app:{{.Run.Nope}}', /unknown run variable Nope/],
    ['app:$Nope', /unknown run variable Nope/],
    ['app:{{.Values.X}}', /unsupported template/],
    ['app:{{.Run.OS}}', /has no value/],
  ];
  for (const [input, message] of bad) {
    it(`refuses ${input}`, () => assert.throws(() => renderRunTemplate(input, vars), { name: 'BadInputError', message }));
  }
  it('leaves an unclosed brace alone', () => assert.equal(renderRunTemplate('app:{{', vars), 'app:{{'));
  it('checks templates without values', () => {
    checkRunTemplate('{{.Run.Registry}}/app:{{.Run.ID}}');
    assert.throws(() => checkRunTemplate('app:{{.Run.Bogus}}'), /Bogus/);
  });
});
