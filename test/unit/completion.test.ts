// `slipway completion`: scripts written from the command tree. The bash one is run in a real bash, as the
// shell runs it on Tab; zsh and fish are not installed here, so their scripts are read for what they offer.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';

async function slipway(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (c) => (stdout += String(c)) }, stderr: { write: (c) => (stderr += c) } };
  const code = await runCli(['node', 'slipway', ...args], io);
  return { code, stdout, stderr };
}

/** What bash offers on Tab after `line` (the last word being completed), with the script loaded. */
async function bashOffers(script: string, words: string[]): Promise<string[]> {
  const program = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=()
_slipway
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await promisify(execFile)('bash', ['-c', program]);
  return stdout.split('\n').filter(Boolean);
}

describe('shell completion', () => {
  it('completes commands, subcommands, options and option choices in bash', async () => {
    const { code, stdout } = await slipway('completion', 'bash');
    assert.equal(code, 0);
    await promisify(execFile)('bash', ['-n', '-c', stdout]);
    assert.deepEqual(await bashOffers(stdout, ['slipway', 'ho']), ['hook']);
    assert.deepEqual(await bashOffers(stdout, ['slipway', 'hook', 'dEl']), []);
    assert.deepEqual((await bashOffers(stdout, ['slipway', 'hook', 'de'])).sort(), ['delete', 'deliveries']);
    assert.deepEqual(await bashOffers(stdout, ['slipway', 'token', 'create', '--ro']), ['--role']);
    assert.deepEqual(await bashOffers(stdout, ['slipway', 'build', '--progress', '']), ['auto', 'plain', 'tty', 'quiet', 'rawjson']);
    // A global option's value is not a command: `runs` is still found after it.
    assert.deepEqual(await bashOffers(stdout, ['slipway', '--server', 'http://runs', 'runs', 'l']), ['list', 'logs']);
    assert.ok((await bashOffers(stdout, ['slipway', 'task', 'run', '--'])).includes('--progress'));
  });

  it('writes zsh and fish scripts with every command and its description', async () => {
    const zsh = await slipway('completion', 'zsh');
    assert.equal(zsh.code, 0);
    assert.match(zsh.stdout, /^#compdef slipway\n/);
    assert.match(zsh.stdout, /'hook'\) commands=\('create:send signed POSTs/);
    assert.match(zsh.stdout, /'build\|--progress'\) compadd -- 'auto' 'plain' 'tty' 'quiet' 'rawjson'/);
    const fish = await slipway('completion', 'fish');
    assert.equal(fish.code, 0);
    assert.match(fish.stdout, /complete -c slipway -n 'test \(__slipway_path\) = \\'hook\\'' -a 'redeliver' -d 'send a delivery again/);
    assert.match(fish.stdout, /-l 'progress' -x -a 'auto plain tty quiet rawjson'/);
    assert.match(fish.stdout, /-l 'role' -r -F/);
  });

  it('refuses a shell it does not know', async () => {
    const res = await slipway('completion', 'powershell');
    assert.equal(res.code, 2);
    assert.match(res.stderr, /expected one of bash, zsh, fish/);
  });
});
