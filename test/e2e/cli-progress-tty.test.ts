// What a person sees of `slipway build` on a terminal: the CLI runs in a real tmux pane and the screen is read
// with capture-pane. `--progress auto` (the default) draws buildx's view there: a header with the steps done,
// each step collapsed with its timer, no raw `#N` lines left; NO_COLOR leaves out every colour.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { folderWith } from '../support/cli.js';
import { cliCommand } from '../support/entry.js';
import { BASE_IMAGE, ROOT, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

const run = promisify(execFile);

describe('the tty progress view in a terminal', () => {
  let stack: TestStack;
  let dir: string;
  // A tmux server of this test's own, on its own socket: nobody else's sessions are touched.
  const socket = `slipway-test-${randomBytes(4).toString('hex')}`;
  const tmux = (...args: string[]) => run('tmux', ['-L', socket, ...args], { cwd: ROOT });

  /** Runs `slipway ARGS` in a fresh 100×40 pane and returns the screen (with colour escapes) once it exits. */
  async function screen(args: string[], env: Record<string, string> = {}): Promise<{ text: string; code: number }> {
    const name = uniqueName('pane');
    const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
    const vars = Object.entries({ SLIPWAY_SERVER: stack.url, SLIPWAY_TOKEN: stack.token, ...env }).map(([k, v]) => `${k}=${quote(v)}`);
    const command = `env ${vars.join(' ')} ${[...cliCommand(), ...args].map(quote).join(' ')}; echo "exit=$?"; tmux -L ${socket} wait-for -S ${name}`;
    // The pane must outlive the command to be read: made idle, told to stay, then given the command.
    await tmux('new-session', '-d', '-s', name, '-x', '100', '-y', '40', 'sleep 600');
    await tmux('set-option', '-t', name, 'remain-on-exit', 'on');
    const done = tmux('wait-for', name);
    await tmux('respawn-pane', '-k', '-t', name, command);
    await done;
    const { stdout } = await tmux('capture-pane', '-p', '-e', '-t', name);
    await tmux('kill-session', '-t', name).catch(() => undefined);
    const code = Number(/exit=(\d+)/.exec(stdout)?.[1] ?? -1);
    return { text: stdout, code };
  }

  before(async () => {
    stack = await startTestStack();
    dir = await folderWith({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo ${uniqueName('tty')} && sleep 1\nRUN echo second\n` });
  });
  after(async () => {
    await tmux('kill-server').catch(() => undefined);
    await stack?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('draws the steps collapsed with their timers on a terminal by default, in colour', async () => {
    const { text, code } = await screen(['build', '--no-push', dir]);
    assert.equal(code, 0, text);
    const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
    assert.match(plain, /^\[\+\] Building \d+\.\ds \((\d+)\/\1\) FINISHED$/m);
    assert.match(plain, /^=> \[2\/3\] RUN echo t-tty-\w+ && sleep 1 +\d+\.\ds$/m);
    assert.match(plain, /^=> \[3\/3\] RUN echo second +\d+\.\ds$/m);
    assert.doesNotMatch(plain, /^#\d+ /m, 'no raw plain-progress lines left on screen');
    assert.match(plain, /Run \S+ succeeded/);
  });

  it('leaves colours out with NO_COLOR, and prints plain lines with --progress plain', async () => {
    const bare = await screen(['build', '--no-push', dir], { NO_COLOR: '1' });
    assert.equal(bare.code, 0, bare.text);
    assert.match(bare.text, /FINISHED/);
    assert.doesNotMatch(bare.text, /\x1b\[[0-9;]*m/);
    const plain = await screen(['build', '--no-push', '--progress', 'plain', dir]);
    assert.match(plain.text, /^#\d+ DONE \d+\.\ds$|^#\d+ CACHED$/m);
  });
});
