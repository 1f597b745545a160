// `slipway login`, `logout` and `token create|list|revoke` against a real API: the saved login is the user's
// alone (0600), SLIPWAY_TOKEN overrides it, a revoked token is refused at its next command, and a refusal
// tells the user to log in.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliCommand } from '../support/entry.js';
import { ROOT, startTestStack, type TestStack } from '../support/stack.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the CLI login and tokens', () => {
  let stack: TestStack;
  let home: string;
  let env: NodeJS.ProcessEnv;

  /** `slipway ARGS` with `input` on stdin, as a user without SLIPWAY_TOKEN or SLIPWAY_SERVER. */
  function slipway(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
    const [program, ...first] = cliCommand();
    const child = spawn(program, [...first, ...args], { cwd: ROOT, env: { ...env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(opts.input ?? '');
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }

  before(async () => {
    stack = await startTestStack({ worker: false });
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-login-'));
    env = { ...process.env, XDG_CONFIG_HOME: home, SLIPWAY_CACHE_DIR: path.join(home, 'cache') };
    delete env.SLIPWAY_TOKEN;
    delete env.SLIPWAY_SERVER;
  });
  after(async () => {
    await stack?.close();
    await fs.rm(home, { recursive: true, force: true });
  });

  it('refuses without a token and says to log in; after login, commands work; logout forgets', async () => {
    const refused = await slipway(['--server', stack.url, 'runs', 'list']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /slipway login/);

    const wrong = await slipway(['login', '--server', stack.url, '--token-stdin'], { input: 'slw_not-a-real-token-at-all-not-a-real-token-at\n' });
    assert.equal(wrong.code, 2);
    await assert.rejects(fs.stat(path.join(home, 'slipway', 'config.json')));

    const login = await slipway(['login', '--server', stack.url, '--token-stdin'], { input: `${stack.token}\n` });
    assert.equal(login.code, 0, login.stderr);
    const file = path.join(home, 'slipway', 'config.json');
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')), { server: stack.url, token: stack.token });

    // The saved server and token, with no flag or variable.
    const listed = await slipway(['runs', 'list']);
    assert.equal(listed.code, 0, listed.stderr);

    const logout = await slipway(['logout']);
    assert.equal(logout.code, 0);
    await assert.rejects(fs.stat(file));
    assert.equal((await slipway(['--server', stack.url, 'runs', 'list'])).code, 2);
  });

  it('creates a token shown once, lists it without its secret, and a revoked token is refused at once', async () => {
    const admin = { SLIPWAY_TOKEN: stack.token, SLIPWAY_SERVER: stack.url };
    const created = await slipway(['token', 'create', 'ci', '--role', 'reader', '--repositories', 'team-a/*', '--expires', '90d'], { env: admin });
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^slw_[A-Za-z0-9_-]{43}$/);

    const list = await slipway(['token', 'list'], { env: admin });
    assert.match(list.stdout, /ci\s+reader\s+team-a\/\*/);
    assert.ok(!list.stdout.includes(token));

    const asCi = { SLIPWAY_TOKEN: token, SLIPWAY_SERVER: stack.url };
    assert.equal((await slipway(['runs', 'list'], { env: asCi })).code, 0);
    const forbidden = await slipway(['token', 'list'], { env: asCi });
    assert.equal(forbidden.code, 2);
    assert.match(forbidden.stderr, /needs admin/);

    assert.equal((await slipway(['token', 'revoke', 'ci'], { env: admin })).code, 0);
    const revoked = await slipway(['runs', 'list'], { env: asCi });
    assert.equal(revoked.code, 2);
    assert.match(revoked.stderr, /slipway login/);
  });
});
