// Task files end to end through the loader: real ACR task files read as ACR reads them, every mistake reported
// as file:line:col with a message saying what to do, and hostile input refused quickly with a message.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { describe, it } from 'node:test';
import { TaskFileError } from '../../src/taskfile/errors.js';
import { loadTaskFile, type LoadOptions } from '../../src/taskfile/load.js';
import { parseValuesFile, setValue } from '../../src/taskfile/values.js';

const run = { ID: 'cb7', Registry: '127.0.0.1:5000', RegistryName: '127', Date: '20261125-150000z', OS: 'linux', Architecture: 'amd64', Commit: '', Branch: '', TaskName: '', SharedVolume: '/ws' };
const fixture = (name: string) => fs.readFile(new URL(`../fixtures/taskfiles/${name}`, import.meta.url), 'utf8');
const load = (text: string, opts: Partial<LoadOptions> = {}) => loadTaskFile(text, { file: 'acb.yaml', run, ...opts });
function errorOf(text: string, opts: Partial<LoadOptions> = {}): string {
  try {
    load(text, opts);
  } catch (err) {
    assert.ok(err instanceof TaskFileError, String(err));
    return err.message;
  }
  return assert.fail('expected a TaskFileError');
}

describe('build steps with --secret', () => {
  const text = 'secrets:\n  - id: npmrc\nsteps:\n  - build: -t app --secret id=npmrc .\n';
  it('hand the declared secret to the build, not as a build arg', () => {
    const { task } = load(text, { secrets: { npmrc: 'token=abc123' } });
    assert.deepEqual(task.steps[0]!.buildSecrets, { npmrc: 'token=abc123' });
    assert.deepEqual(task.steps[0]!.build!.buildArgs, {});
  });
  it('refuse an id the file neither declares nor is given', () => {
    assert.match(errorOf('steps:\n  - build: -t app --secret id=other .\n'), /2:12: build: --secret id=other: secret other is not declared/);
  });
  it('validate without the value (task validate)', () => {
    assert.ok(load(text, { dryRun: true }).task.steps[0]!.buildSecrets!.npmrc);
  });
});

describe('real ACR task files', () => {
  it('when-parallel-dependent: two builds at once, then a chain', async () => {
    const { task } = load(await fixture('when-parallel-dependent.yaml'));
    assert.deepEqual(task.steps.map((s) => [s.id, s.after, s.level]), [
      ['build-hello-world', [], 0],
      ['build-hello-world-test', [], 0],
      ['hello-world', ['build-hello-world'], 1],
      ['func-tests', ['hello-world'], 2],
      ['acb_step_4', ['func-tests'], 3],
    ]);
    assert.deepEqual(task.steps[0]!.build, { tags: ['127.0.0.1:5000/hello-world:cb7'], dockerfile: 'hello-world.dockerfile', buildArgs: {}, cacheFrom: [], secrets: [], noCache: false, pull: false, context: '.' });
    assert.deepEqual(task.steps[3]!.env, ['TEST_TARGET_URL=hello-world']);
  });
  it('build-test-update: steps without when follow the one before; a folded cmd splits into words', async () => {
    const { task } = load(await fixture('build-test-update-hello-world.yaml'));
    assert.deepEqual(task.steps.map((s) => s.after), [[], [], ['acb_step_1'], ['hello-world'], ['func-tests'], ['acb_step_4']]);
    assert.deepEqual(task.steps[5]!.cmd!.args, ['update', 'helloworld', './release/helm/', '--reuse-values', '--set', 'helloworld.image=127.0.0.1:5000/hello-world:cb7']);
  });
  it('mounts-secrets: a Key Vault secret is refused without a value, and read with one', async () => {
    const text = await fixture('mounts-secrets.yaml');
    assert.match(errorOf(text), /^acb\.yaml:4:5: secret sampleSecret refers to Azure Key Vault, which Slipway does not read: give its value with --set-secret sampleSecret=VALUE$/);
    const { task, masker } = load(text, { secrets: { sampleSecret: 'hunter2-pw' } });
    assert.equal(task.volumes[0]!.files.mysecret1!.toString(), 'hunter2-pw');
    assert.equal(task.volumes[0]!.files.mysecret2!.toString(), 'this is a non encoded string');
    assert.equal(masker.mask('x hunter2-pw aHVudGVyMi1wdw== y'), 'x *** *** y');
  });
  it('mounts-secrets validates without the value, with a warning', async () => {
    const { warnings } = load(await fixture('mounts-secrets.yaml'), { dryRun: true });
    assert.deepEqual(warnings, ['4:5: secret sampleSecret refers to Azure Key Vault, which Slipway does not read; a run needs --set-secret sampleSecret=VALUE']);
  });
  it('managed-identities: a secret in env, shell variables untouched', async () => {
    const { task } = load(await fixture('managed-identities.yaml'), { secrets: { name: 'pw-123' }, values: { registryName: 'reg' } });
    assert.deepEqual(task.steps[0]!.cmd, { image: 'bash', args: ['-c', 'echo "secret is $MY_SECRET"'] });
    assert.deepEqual(task.steps[0]!.env, ['MY_SECRET=pw-123']);
  });
  it('network-curl: the host network needs the privileged setting', async () => {
    const text = await fixture('network-curl.yaml');
    assert.match(errorOf(text), /^acb\.yaml:13:14: the host network is not allowed on this server/m);
    assert.equal(load(text, { allowPrivileged: true }).task.steps[1]!.network, 'host');
  });
  it('when-sequential-id: image aliases from the configuration', async () => {
    const { task } = load(await fixture('when-sequential-id.yaml'), { imageAliases: { bash: '127.0.0.1:5000/base/busybox:latest' } });
    assert.deepEqual(task.steps[2]!.cmd, { image: '127.0.0.1:5000/base/busybox:latest', args: ['echo', 'three'] });
  });
});

describe('mistakes, each at its line and column', () => {
  const cases: { name: string; text: string; message: RegExp }[] = [
    { name: 'an unknown property', text: 'steps:\n  - cmd: a\n    detatch: true\n', message: /^acb\.yaml:3:5: unknown property detatch in steps\.0$/ },
    { name: 'an unknown top-level property', text: 'stepTimeOut: 5\nsteps:\n  - cmd: a\n', message: /^acb\.yaml:1:1: unknown property stepTimeOut$/ },
    { name: 'a cache that is neither enabled nor disabled', text: 'steps:\n  - build: .\n    cache: true\n', message: /^acb\.yaml:3:12: steps\.0\.cache: / },
    { name: 'no steps', text: 'version: v1.1.0\n', message: /^acb\.yaml:1:1: steps is required$/ },
    { name: 'empty steps', text: 'steps: []\n', message: /^acb\.yaml:1:8: steps: a task has at least one step$/ },
    { name: 'a bad version', text: 'version: v2\nsteps:\n  - cmd: a\n', message: /^acb\.yaml:1:10: invalid version specified: "v2", the current version is "v1\.0\.0" \(valid: v1\.1\.0, v1\.0\.0, 1\.0-preview-1\)$/ },
    { name: 'a timeout as text', text: 'steps:\n  - cmd: a\n    timeout: soon\n', message: /^acb\.yaml:3:14: steps\.0\.timeout: / },
    { name: 'negative retries', text: 'steps:\n  - cmd: a\n    retries: -1\n', message: /3:14: steps\.0\.retries: retries cannot be negative/ },
    { name: 'a step with two types', text: 'steps:\n  - cmd: a\n    push: [b]\n', message: /^acb\.yaml:2:5: a step has one of build, push or cmd, not push and cmd$/ },
    { name: 'a step with none', text: 'steps:\n  - id: x\n', message: /^acb\.yaml:2:5: a step needs one of build, push or cmd$/ },
    { name: 'push as a string', text: 'steps:\n  - push: app:1\n', message: /2:11: steps\.0\.push: / },
    { name: 'env without =', text: 'steps:\n  - cmd: a\n    env: [NOPE]\n', message: /3:11: steps\.0\.env\.0: expected KEY=VALUE/ },
    { name: 'an unknown when', text: 'steps:\n  - id: a\n    cmd: x\n  - cmd: y\n    when: [a, b]\n', message: /^acb\.yaml:5:15: b does not exist as a vertex \[from: b, to: acb_step_1\]: no step has the id b; steps before it: a$/ },
    { name: 'a wrongly cased when', text: 'steps:\n  - id: Build\n    cmd: x\n  - cmd: y\n    when: [build]\n', message: /did you mean Build\?/ },
    { name: 'a duplicate id', text: 'steps:\n  - id: a\n    cmd: x\n  - id: a\n    cmd: y\n', message: /^acb\.yaml:4:9: a already exists as a vertex \(step 1 has the id a; step ids are unique\)$/ },
    { name: 'a when naming a later step', text: 'steps:\n  - id: a\n    cmd: x\n    when: [b]\n  - id: b\n    cmd: y\n    when: [a]\n', message: /^acb\.yaml:4:12: b does not exist as a vertex \[from: b, to: a\]: a step waits only for steps written before it, and b is step 2; move it before step 1$/ },
    { name: '- with ids', text: 'steps:\n  - id: a\n    cmd: x\n  - cmd: y\n    when: ["-", a]\n', message: /5:17: step cannot contain other IDs in when if the immediate execution token is specified/ },
    { name: 'an id with a space', text: 'steps:\n  - id: "a b"\n    cmd: x\n', message: /2:9: steps\.0\.id: an id is letters, digits/ },
    { name: 'an unsupported build flag', text: 'steps:\n  - build: --squash .\n', message: /^acb\.yaml:2:12: build: docker build flag --squash is not supported; supported: -t, -f/ },
    { name: 'a build without context', text: 'steps:\n  - build: -t app\n', message: /build: the build context is missing/ },
    { name: 'a remote build context that is no git repository', text: 'steps:\n  - build: https://example.com/ctx.tar.gz\n', message: /a remote build context .* that is not a git repository is not supported/ },
    { name: 'a bad image in push', text: 'steps:\n  - push: [ok/app, "BAD IMAGE"]\n', message: /2:20: invalid image reference "BAD IMAGE"/ },
    { name: 'an unclosed quote in cmd', text: "steps:\n  - cmd: a 'b\n", message: /2:10: cmd: unclosed ' quote/ },
    { name: 'privileged without the setting', text: 'steps:\n  - cmd: a\n    privileged: true\n', message: /3:17: privileged containers are not allowed on this server/ },
    { name: 'an undeclared network', text: 'steps:\n  - cmd: a\n    network: mine\n', message: /3:14: network mine is not declared under networks/ },
    { name: 'a mount of an unknown volume', text: 'steps:\n  - cmd: a\n    volumeMounts: [{name: v, mountPath: /x}]\n', message: /3:27: volume v is not declared under volumes/ },
    { name: 'volumeMounts on a push step', text: 'volumes: [{name: v, secret: {}}]\nsteps:\n  - push: [app]\n    volumeMounts: [{name: v, mountPath: /x}]\n', message: /4:5: invalid use of Mounts\. Mounts must have unique container paths and only used for cmd or build steps/ },
    { name: 'two volumes at one path', text: 'volumes: [{name: v, secret: {}}, {name: w, secret: {}}]\nsteps:\n  - build: .\n    volumeMounts: [{name: v, mountPath: /x}, {name: w, mountPath: /x}]\n', message: /mount with duplicate container file path found: two volumes mounted at \/x/ },
    { name: 'a volume file that is not base64', text: 'volumes:\n  - name: v\n    secret:\n      f: not base64!\nsteps: [{cmd: a}]\n', message: /4:10: volume v: f is not base64/ },
    { name: 'an undeclared secret', text: 'steps:\n  - cmd: a {{.Secrets.pw}}\n', message: /2:12: secret pw is not declared: add it under secrets \(id: pw\) and give its value with --set-secret pw=VALUE/ },
    { name: 'a declared secret without value', text: 'secrets: [{id: pw}]\nsteps:\n  - cmd: a\n', message: /1:11: secret pw has no value: give its value with --set-secret pw=VALUE/ },
    { name: 'alias.src', text: 'alias:\n  src: [x.yaml]\nsteps:\n  - cmd: a\n', message: /2:3: external alias files \(alias\.src\) are not supported/ },
    { name: 'a bad alias name', text: 'alias:\n  values:\n    my-img: x\nsteps:\n  - cmd: a\n', message: /3:5: alias\.values\.my-img: an alias name is letters and digits/ },
    { name: 'the top level is a list', text: '- cmd: a\n', message: /^acb\.yaml:1:1: the file: / },
    { name: 'two documents', text: 'steps: [{cmd: a}]\n---\nsteps: [{cmd: b}]\n', message: /^acb\.yaml:2:1: YAML: Source contains multiple documents/ },
    { name: 'a custom tag', text: 'steps:\n  - cmd: !!js/function "x"\n', message: /2:10: YAML: .*tag/i },
    { name: 'tabs for indentation', text: 'steps:\n\t- cmd: a\n', message: /^acb\.yaml:2:1: YAML: / },
  ];
  for (const c of cases) it(c.name, () => assert.match(errorOf(c.text), c.message));

  it('secret values never appear in an error message', () => {
    const message = errorOf('secrets: [{id: pw}]\nsteps:\n  - cmd: a\n    user: {{.Secrets.pw}}\n    timeout: {{.Secrets.pw}}\n', { secrets: { pw: 'topsecret99' } });
    assert.match(message, /timeout/);
    assert.ok(!message.includes('topsecret99'), message);
  });
});

describe('hostile and oversized input', () => {
  it('a billion laughs (YAML alias bomb) is refused', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill('*' + String.fromCharCode(96 + i)).join(',')}]`);
    lines.push('steps: [{cmd: x}]');
    assert.match(errorOf(lines.join('\n')), /alias count|cannot be read/i);
  });
  it('deep nesting is refused', () => assert.match(errorOf(`steps: ${'['.repeat(500)}${']'.repeat(500)}\n`), /nested/));
  it('very deep nesting does not overflow the stack', () => assert.match(errorOf(`steps: ${'['.repeat(60_000)}\n`), /YAML|nested/));
  it('a file over 64 KiB is refused', () => assert.match(errorOf(`# ${'x'.repeat(64 * 1024)}\nsteps: [{cmd: a}]\n`), /^acb\.yaml:1:1: the task file is larger than 65536 bytes$/));
  it('too many template actions', () => assert.match(errorOf(`steps: [{cmd: "a ${'{{.Run.ID}}'.repeat(2_001)}"}]\n`), /more than 2000 template actions/));
  it('a value repeated until the expansion is too large', () => {
    const text = `steps: [{cmd: "a ${'{{.Values.big}}'.repeat(1000)}"}]\n`;
    assert.match(errorOf(text, { values: { big: 'y'.repeat(5000) } }), /expands to more than/);
  });
  it('placeholder characters in the file are refused', () => assert.match(errorOf('steps: [{cmd: "a \uE000\uE010\uE001"}]\n'), /^acb\.yaml:1:18: the file contains private-use characters/));
  it('a thousand errors are cut to a hundred', () => {
    const text = `steps:\n${'  - cmd: x\n    nope: 1\n'.repeat(150)}`;
    assert.equal(errorOf(text).split('\n').length, 100);
  });
  it('a byte-order mark and CRLF line ends are read as editors show them', () => {
    assert.deepEqual(load('\uFEFFsteps:\r\n  - cmd: a {{.Run.ID}}\r\n').task.steps[0]!.cmd, { image: 'a', args: ['cb7'] });
    assert.match(errorOf('steps:\r\n  - cmd: a\r\n    nope: 1\r\n'), /^acb\.yaml:3:5: unknown property nope/);
  });
  it('__proto__ keys stay keys', () => assert.match(errorOf('steps:\n  - cmd: a\n    __proto__: {privileged: true}\n'), /unknown property __proto__/));
});

describe('values', () => {
  it('reads a values file and applies --set over it', () => {
    const values = setValue(parseValuesFile('registryName: reg\nimage:\n  tag: v1\n', 'values.yaml'), 'image.tag', 'v2');
    assert.deepEqual(values, { registryName: 'reg', image: { tag: 'v2' } });
    const { task } = load('steps:\n  - push: ["{{.Values.registryName}}/app:{{.Values.image.tag}}"]\n', { values });
    assert.deepEqual(task.steps[0]!.push, ['127.0.0.1:5000/reg/app:v2']);
  });
  it('a values file that is not a map is an error with its name', () => assert.throws(() => parseValuesFile('- a\n', 'v.yaml'), /^TaskFileError: v\.yaml:1:1: a values file is a map/));
  it('--set secrets are readable as values, as in ACR', () => {
    const { task } = load('steps:\n  - cmd: a {{.Values.pw}} {{.Secrets.pw}}\n', { secrets: { pw: 'p4ss' } });
    assert.deepEqual(task.steps[0]!.cmd!.args, ['p4ss', 'p4ss']);
  });
});
