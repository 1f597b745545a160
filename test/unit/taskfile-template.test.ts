// Template actions and aliases in task files: the Go-template subset ACR uses, `$` aliases, and errors that
// name the action and where it is. Values are inserted after the YAML is read, so they cannot change it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aliasTable, expandAliases } from '../../src/taskfile/aliases.js';
import { TaskFileError } from '../../src/taskfile/errors.js';
import { loadTaskFile } from '../../src/taskfile/load.js';
import { evaluate, parseAction, type TemplateContext } from '../../src/taskfile/template-expr.js';

const run = { ID: 'ca1', Registry: '127.0.0.1:5000', RegistryName: '127', Date: '20261125-150000z', OS: 'linux', Architecture: 'amd64', Commit: 'abc', Branch: 'main', TaskName: 'web', SharedVolume: '/data/ws' };
const ctx: TemplateContext = { run, values: { tag: 'v1', n: 3, nested: { deep: 'yes' }, list: [1] }, secret: (n) => (n === 'pw' ? 's3cr3t!' : undefined) };
const render = (inner: string) => evaluate(parseAction(inner), ctx);

describe('template actions', () => {
  const ok: [string, string][] = [
    ['.Run.ID', 'ca1'],
    ['.Run.Registry', '127.0.0.1:5000'],
    ['.Run.SharedVolume', '/data/ws'],
    ['.Run.OS', 'linux'],
    ['.Values.tag', 'v1'],
    ['.Values.n', '3'],
    ['.Values.nested.deep', 'yes'],
    ['.Secrets.pw', 's3cr3t!'],
    ['.Values.tag | b64enc', 'djE='],
    ['"djE=" | b64dec', 'v1'],
    ['.Values.tag | b64enc | b64dec', 'v1'],
    ['.Values.tag | quote', '"v1"'],
    ['"a \\"b\\"\\n" | quote', '"a \\"b\\"\\n"'],
    ['`raw | text`', 'raw | text'],
    ['"with | pipe"', 'with | pipe'],
  ];
  for (const [inner, want] of ok) it(`{{${inner}}} → ${want}`, () => assert.equal(render(inner), want));

  const bad: [string, RegExp][] = [
    ['.Run.Nope', /unknown run variable \.Run\.Nope/],
    ['.Values.missing', /no value \.Values\.missing: give it with --set missing=VALUE/],
    ['.Values.nested', /is a map, not a value/],
    ['.Values.list', /is a list, not a value/],
    ['.Secrets.other', /secret \.Secrets\.other has no value/],
    ['.Values.tag | upper', /unknown function "upper"/],
    ['"!!" | b64dec', /not base64/],
    ['', /empty template action/],
    ['if .Values.tag', /"if" is not supported/],
    ['.Run.ID.x', /has no fields/],
    ['"unterminated', /unterminated string/],
    ['"a" "b"', /unexpected text after a string/],
    ['- .Run.ID', /trim markers/],
    ['printf "%s" .Run.ID', /"printf" is not supported/],
  ];
  for (const [inner, message] of bad) it(`refuses {{${inner}}}`, () => assert.throws(() => render(inner), { name: 'TemplateError', message }));
});

describe('$ aliases', () => {
  const table = aliasTable(run, { repo: 'team/app', ID: 'mine' }, '$');
  const cases: [string, string][] = [
    ['$Registry/app:$Date', '127.0.0.1:5000/app:20261125-150000z'],
    ['$Registry/$repo', '127.0.0.1:5000/team/app'],
    ['app:$ID', 'app:mine'], // the task's own alias wins, as in ACR
    ['echo $HOME and $MY_SECRET', 'echo $HOME and $MY_SECRET'], // shell variables pass through
    ['price $$5', 'price $5'],
    ['${Registry}', '${Registry}'],
    ['$Commit-$Branch', 'abc-main'],
    ['$RegistryName.azurecr.io', '127.azurecr.io'],
  ];
  for (const [input, want] of cases) it(`${input} → ${want}`, () => assert.equal(expandAliases(input, table), want));
  it('a changed directive', () => assert.equal(expandAliases('&Registry/x $HOME &&', aliasTable(run, {}, '&')), '127.0.0.1:5000/x $HOME &'));
});

describe('templates inside a task file', () => {
  const load = (text: string, values: Record<string, unknown> = {}, secrets: Record<string, string> = {}) =>
    loadTaskFile(text, { file: 'acb.yaml', run, values, secrets });
  const errorOf = (text: string, values: Record<string, unknown> = {}) => {
    try {
      load(text, values);
    } catch (err) {
      assert.ok(err instanceof TaskFileError, String(err));
      return err.message;
    }
    assert.fail('expected a TaskFileError');
  };

  it('renders an unquoted action at the start of a value, as ACR files write it', () => {
    const { task } = load('steps:\n  - cmd: {{.Run.Registry}}/hello:{{.Run.ID}} run\n');
    assert.deepEqual(task.steps[0]!.cmd, { image: '127.0.0.1:5000/hello:ca1', args: ['run'] });
  });
  it('a value cannot inject YAML: a newline and a step stay inside the string', () => {
    const { task } = load('steps:\n  - cmd: busybox env\n    env: [X={{.Values.x}}]\n', { x: 'a]\n  - cmd: evil' });
    assert.equal(task.steps.length, 1);
    assert.deepEqual(task.steps[0]!.env, ['X=a]\n  - cmd: evil']);
  });
  it('a value that looks like a template is not rendered again', () => {
    const { task } = load('steps:\n  - cmd: busybox echo {{.Values.x}}\n', { x: '{{.Run.ID}}$ID' });
    assert.deepEqual(task.steps[0]!.cmd!.args, ['echo', '{{.Run.ID}}$ID']);
  });
  it('a whole value that is one quoted action reads unquoted, as YAML reads it in ACR', () => {
    const { task } = load('env: [A=1]\nsteps:\n  - cmd: busybox\n    user: {{.Values.u | quote}}\n', { u: 'a: b' });
    assert.equal(task.steps[0]!.user, 'a: b');
  });
  it('an unknown variable is an error at its line and column', () => {
    assert.match(errorOf('version: v1.1.0\nsteps:\n  - cmd: busybox {{.Run.Nope}}\n'), /^acb\.yaml:3:18: unknown run variable \.Run\.Nope/);
  });
  it('a missing value is an error naming --set', () => {
    assert.match(errorOf('steps:\n  - push: ["app:{{.Values.tag}}"]\n'), /^acb\.yaml:2:17: no value \.Values\.tag: give it with --set tag=VALUE/);
  });
  it('an unclosed action is an error', () => assert.match(errorOf('steps:\n  - cmd: busybox {{.Run.ID\n'), /^acb\.yaml:2:18: unclosed template action/));
  it('every bad action is reported, not just the first', () => {
    const lines = errorOf('steps:\n  - cmd: a {{.Run.X}}\n  - cmd: b {{.Values.y}}\n').split('\n');
    assert.equal(lines.length, 2);
  });
  it('YAML errors after templates keep the columns the user wrote', () => {
    const line = '  - {cmd: {{.Run.Registry}}/{{.Run.ID}}, cmd: x}';
    assert.match(errorOf(`steps:\n${line}\n`), new RegExp(`^acb\\.yaml:2:${line.lastIndexOf('cmd') + 1}: YAML: Map keys must be unique`));
  });
  it('task aliases and run aliases in a file', () => {
    const { task } = load('alias:\n  values:\n    img: $Registry/base/busybox:latest\nsteps:\n  - cmd: img echo $ID $HOME\n  - push: ["app:$ID"]\n');
    assert.deepEqual(task.steps[0]!.cmd, { image: '127.0.0.1:5000/base/busybox:latest', args: ['echo', 'ca1', '$HOME'] });
    assert.deepEqual(task.steps[1]!.push, ['127.0.0.1:5000/app:ca1']);
  });
});
