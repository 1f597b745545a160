// Templates and aliases in task files: Go templates as ACR renders them (the engine's own cases are in
// go-template.test.ts), `$` aliases, and errors that name the action and where it is. Values are inserted
// after the YAML is read, so they cannot change it; if, range and with shape the file as in ACR.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aliasTable, expandAliases } from '../../src/taskfile/aliases.js';
import { TaskFileError } from '../../src/taskfile/errors.js';
import { loadTaskFile } from '../../src/taskfile/load.js';

const run = { ID: 'ca1', Registry: '127.0.0.1:5000', RegistryName: '127', Date: '20261125-150000z', OS: 'linux', Architecture: 'amd64', Commit: 'abc', Branch: 'main', TaskName: 'web', SharedVolume: '/data/ws' };
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
  it('a field of a missing value is an error at its line and column, as in Go', () => {
    assert.match(errorOf('version: v1.1.0\nsteps:\n  - cmd: busybox {{.Values.a.b}}\n'), /^acb\.yaml:3:20: nil pointer evaluating interface \{\}\.b/);
  });
  it('a value or run variable not given renders empty, as acr-builder renders it (missingkey=zero)', () => {
    const { task } = load('steps:\n  - cmd: busybox echo [{{.Values.tag}}] [{{.Run.GitTag}}] [{{.Run.Nope}}]\n');
    assert.deepEqual(task.steps[0]!.cmd!.args, ['echo', '[]', '[]', '[]']);
  });
  it('an unclosed action is an error', () => assert.match(errorOf('steps:\n  - cmd: busybox {{.Run.ID\n'), /^acb\.yaml:2:18: unclosed template action/));
  it('if, range, variables and trim markers shape the file as in ACR', () => {
    const text = [
      '{{- $img := printf "%s/base/busybox:latest" .Run.Registry }}',
      'steps:',
      '{{- range $i, $name := .Values.names }}',
      '  - id: say-{{ $name }}',
      '    cmd: {{ $img }} echo {{ $name | upper }} {{ $i }}',
      '{{- end }}',
      '{{- if .Values.push }}',
      '  - push: ["{{ .Run.Registry }}/app:{{ .Values.tag | default "latest" }}"]',
      '{{- end }}',
      '',
    ].join('\n');
    const { task } = load(text, { names: ['a', 'b'], push: true });
    assert.deepEqual(task.steps.map((s) => s.id), ['say-a', 'say-b', task.steps[2]!.id]);
    assert.deepEqual(task.steps[1]!.cmd, { image: '127.0.0.1:5000/base/busybox:latest', args: ['echo', 'B', '1'] });
    assert.deepEqual(task.steps[2]!.push, ['127.0.0.1:5000/app:latest']);
  });
  it('.Build.ID, .RunJSON and .ValuesJSON as acr-builder makes them', () => {
    const { task } = load('steps:\n  - cmd: busybox echo {{.Build.ID}}\n    env: ["V={{.ValuesJSON}}", "R={{.RunJSON}}"]\n', { b: 'x y', a: 1 });
    assert.equal(task.steps[0]!.cmd!.args[1], 'ca1');
    assert.equal(task.steps[0]!.env![0], `V='{"a":1,"b":"x y"}'`);
    assert.match(task.steps[0]!.env![1]!, /^R='\{"Architecture":"amd64","Branch":"main",.*"TriggeredBy":""\}'$/);
  });
  it('YAML errors after templates keep the columns the user wrote', () => {
    const line = '  - {cmd: {{.Run.Registry}}/{{.Run.ID}}, cmd: x}';
    assert.match(errorOf(`steps:\n${line}\n`), new RegExp(`^acb\\.yaml:2:${line.lastIndexOf('cmd') + 1}: YAML: Map keys must be unique`));
  });
  it('task aliases and run aliases in a file', () => {
    const { task } = load('version: v1.1.0\nalias:\n  values:\n    img: $Registry/base/busybox:latest\nsteps:\n  - cmd: img echo $ID $HOME\n  - push: ["app:$ID"]\n');
    assert.deepEqual(task.steps[0]!.cmd, { image: '127.0.0.1:5000/base/busybox:latest', args: ['echo', 'ca1', '$HOME'] });
    assert.deepEqual(task.steps[1]!.push, ['127.0.0.1:5000/app:ca1']);
  });
});
