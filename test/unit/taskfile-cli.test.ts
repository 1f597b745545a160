// The real `slipway task validate` process: the step graph on stdout and exit 0 for a good file; every error
// as FILE:LINE:COL on stderr and exit 2 for a bad one; secrets never printed; no server needed.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runSlipway, type CliResult } from '../support/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function slipway(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  // Port 1: a command that wrongly went to the network would fail differently.
  const env = { ...process.env, SLIPWAY_SERVER: 'http://127.0.0.1:1', SLIPWAY_REGISTRY: '127.0.0.1:5000', ...extraEnv };
  return runSlipway(args, { cwd: ROOT, env, timeoutMs: 60_000 });
}

describe('slipway task validate', { concurrency: 4 }, () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-validate-'));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));
  const write = async (name: string, text: string) => {
    const file = path.join(dir, name);
    await fs.writeFile(file, text);
    return file;
  };

  it('prints the step graph of a real ACR file: which steps run together and which wait', async () => {
    const r = await slipway(['task', 'validate', 'test/fixtures/taskfiles/when-parallel-dependent.yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /5 steps/);
    assert.match(r.stdout, /^level 1 \(2 steps run together\):\n {2}build-hello-world +build -t 127\.0\.0\.1:5000\/hello-world:dryrun \. +\[line 5; starts at once\]\n {2}build-hello-world-test /m);
    assert.match(r.stdout, /^ {2}func-tests +cmd hello-world-func-test +\[line 15; waits for hello-world\]$/m);
  });

  it('shows what a step asks for beyond the defaults, and refuses more than this environment\'s maximum', async () => {
    const ok = await slipway(['task', 'validate', await write('asks.yaml', 'steps:\n  - id: big\n    cmd: --memory 1g --cpus 0.5 --pids-limit 300 --cap-add chown busybox true\n')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /big +cmd busybox true +\[line 2; starts at once; memory 1024 MiB; 0\.5 CPUs; 300 processes; capabilities CHOWN\]/);
    const over = await slipway(['task', 'validate', await write('over.yaml', 'steps:\n  - cmd: --memory 3g busybox true\n')], { SLIPWAY_STEP_MAX_MEMORY_MIB: '2048' });
    assert.equal(over.code, 2);
    assert.match(over.stderr, /over\.yaml:2:\d+: cmd: --memory 3072 MiB is over this server's maximum of 2048 MiB for a step \(SLIPWAY_STEP_MAX_MEMORY_MIB\)/);
  });

  it('prints every error as FILE:LINE:COL and exits 2', async () => {
    const file = await write('bad.yaml', 'steps:\n  - id: a\n    cmd: x\n    when: [b]\n  - cmd: y\n    retries: many\n');
    const r = await slipway(['task', 'validate', file]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^${file}:6:14: steps\\.1\\.retries: .*\\n`, 'm'));
    assert.match(r.stderr, /slipway: .*bad\.yaml: 1 error$/m);
    const graph = await slipway(['task', 'validate', await write('graph.yaml', 'steps:\n  - id: a\n    cmd: x\n    when: [b]\n')]);
    assert.match(graph.stderr, /graph\.yaml:4:12: b does not exist as a vertex \[from: b, to: a\]/);
  });

  it('takes values from --values files and --set, --set winning', async () => {
    const values = await write('values.yaml', 'repo: from-file\ntag: v1\n');
    const file = await write('values-task.yaml', 'steps:\n  - push: ["{{.Values.repo}}:{{.Values.tag}}"]\n');
    const r = await slipway(['task', 'validate', file, '--values', values, '--set', 'tag=v2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /push 127\.0\.0\.1:5000\/from-file:v2/);
    const missing = await slipway(['task', 'validate', file]);
    assert.equal(missing.code, 2);
    // Not given: empty, as ACR renders it, and the image reference is then what is wrong.
    assert.match(missing.stderr, /values-task\.yaml:2:12: invalid image reference ":"/);
    const echo = await slipway(['task', 'validate', await write('echo-task.yaml', 'steps:\n  - cmd: busybox echo [{{.Values.tag}}]\n')]);
    assert.equal(echo.code, 0, echo.stderr);
    assert.match(echo.stderr, /echo-task\.yaml:2:24: warning: \{\{\.Values\.tag\}\} has no value and renders empty, as in ACR; give it with --set tag=VALUE/);
  });

  it('reports a malformed --values file at its file and line, exit 2', async () => {
    const file = await write('ok-task.yaml', 'steps:\n  - cmd: busybox echo {{.Values.a}}\n');
    const bad = await write('bad-values.yaml', 'a: 1\nb: [1\nc: 2\n');
    const r = await slipway(['task', 'validate', file, '--values', bad]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^${bad}:\\d+:\\d+: YAML: `, 'm'));
    assert.doesNotMatch(r.stderr, /unexpected error/);
  });

  it('masks a secret given with --set-secret and warns about a Key Vault secret without one', async () => {
    const file = await write('secret.yaml', 'secrets:\n  - id: pw\n  - id: kv\n    keyvault: https://v.vault.azure.net/secrets/x\nsteps:\n  - cmd: busybox echo {{.Secrets.pw}}\n');
    const r = await slipway(['task', 'validate', file, '--set-secret', 'pw=hunter2hunter2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cmd busybox echo \*\*\*/);
    assert.ok(!r.stdout.includes('hunter2') && !r.stderr.includes('hunter2'));
    assert.match(r.stderr, /secret\.yaml:3:5: warning: secret kv refers to Azure Key Vault, which Slipway does not read; a run needs --set-secret kv=VALUE/);
  });

  it('follows the configured image aliases and privilege setting', async () => {
    const file = 'test/fixtures/taskfiles/network-curl.yaml';
    const refused = await slipway(['task', 'validate', file]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /network-curl\.yaml:13:14: the host network is not allowed on this server/);
    const allowed = await slipway(['task', 'validate', file], { SLIPWAY_TASK_ALLOW_PRIVILEGED: '1' });
    assert.equal(allowed.code, 0, allowed.stderr);
    const seq = await slipway(['task', 'validate', 'test/fixtures/taskfiles/when-sequential-id.yaml'], { SLIPWAY_TASK_IMAGE_ALIASES: 'bash=127.0.0.1:5000/base/busybox:latest' });
    assert.match(seq.stdout, /step3 +cmd 127\.0\.0\.1:5000\/base\/busybox:latest echo three +\[line 9; waits for step2\]/);
  });

  it('usage errors: a missing file, a bad --set, a --set-secret without = (not echoed)', async () => {
    const missing = await slipway(['task', 'validate', path.join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /task file ".*nope\.yaml" not found/);
    const file = await write('ok.yaml', 'steps: [{cmd: a}]\n');
    const badSet = await slipway(['task', 'validate', file, '--set', 'novalue']);
    assert.match(badSet.stderr, /--set "novalue": expected KEY=VALUE/);
    const badSecret = await slipway(['task', 'validate', file, '--set-secret', 'hunter2hunter2']);
    assert.equal(badSecret.code, 2);
    assert.ok(!badSecret.stderr.includes('hunter2'), badSecret.stderr);
  });
});
