// The real `slipway task` process: bad arguments exit 2 with a message naming the flag and never reach a server,
// a git token is never printed, and an unreachable server exits 3 with a hint.
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runSlipway, type CliResult } from '../support/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** fetch refuses port 1 without trying: a usage error that wrongly went on to the network would exit 3, not 2. */
const NOWHERE = 'http://127.0.0.1:1';
const CONCURRENCY = Math.max(1, Math.min(4, os.availableParallelism()));
const TOKEN = 'ghp_TOPSECRET0123456789';
const GIT = 'https://github.com/org/app.git#main';

type Result = CliResult;

function slipway(args: string[]): Promise<Result> {
  const env = { ...process.env };
  delete env.SLIPWAY_SERVER;
  return runSlipway(args, { cwd: ROOT, env, timeoutMs: 60_000 });
}

const noToken = (r: Result) => assert.ok(!r.stdout.includes('TOPSECRET') && !r.stderr.includes('TOPSECRET'), `the token was printed:\n${r.stderr}`);

describe('task argument errors exit 2 before any request', { concurrency: CONCURRENCY }, () => {
  const cases: { name: string; args: string[]; message: RegExp }[] = [
    { name: 'create without --context', args: ['task', 'create', 'web', '-t', 'app:1'], message: /^slipway: required option '-c, --context <git-url>' not specified$/m },
    { name: 'create without a name', args: ['task', 'create', '--context', GIT], message: /missing required argument 'name'/ },
    { name: 'a name that is a path', args: ['task', 'create', '../../v1/runs', '--context', GIT], message: /"..\/..\/v1\/runs" is not a task name/ },
    { name: '--commit-trigger yes', args: ['task', 'create', 'web', '--context', GIT, '--commit-trigger', 'yes'], message: /^slipway: --commit-trigger "yes": expected on or off$/m },
    { name: '--pr-trigger true', args: ['task', 'update', 'web', '--pr-trigger', 'true'], message: /^slipway: --pr-trigger "true": expected on or off$/m },
    {
      name: '--base-image-trigger never',
      args: ['task', 'create', 'web', '--context', GIT, '--base-image-trigger', 'never'],
      message: /^slipway: --base-image-trigger "never": expected one of runtime, all, off$/m,
    },
    { name: 'a local folder as --context', args: ['task', 'create', 'web', '--context', '.'], message: /--context "\.": expected a git URL/ },
    { name: 'an empty schedule', args: ['task', 'create', 'web', '--context', GIT, '--schedule', ''], message: /--schedule: the cron expression is empty/ },
    { name: 'a bad --timeout', args: ['task', 'update', 'web', '--timeout', 'soon'], message: /--timeout "soon": expected a whole number of seconds/ },
    { name: 'a bad --build-arg', args: ['task', 'update', 'web', '--build-arg', 'NOPE'], message: /--build-arg "NOPE": expected KEY=VALUE/ },
    { name: 'an image with a space', args: ['task', 'update', 'web', '-t', 'app: 1'], message: /--image "app: 1": an image name has no spaces/ },
    { name: 'update with nothing to change', args: ['task', 'update', 'web'], message: /nothing to update: give at least one option/ },
    { name: 'an option of update given to create', args: ['task', 'create', 'web', '--context', GIT, '--push'], message: /unknown option '--push'/ },
    { name: 'show with two names', args: ['task', 'show', 'a', 'b'], message: /too many arguments/ },
    { name: 'run without a name', args: ['task', 'run'], message: /missing required argument 'name'/ },
    { name: 'runs with a bad --top', args: ['task', 'runs', 'web', '--top', '0'], message: /--top "0": expected a whole number from 1 to 1000/ },
    { name: 'runs with a bad --status', args: ['task', 'runs', 'web', '--status', 'done'], message: /--status "done": expected one of queued/ },
    { name: 'an unknown task subcommand', args: ['task', 'trigger', 'web'], message: /unknown command 'trigger'/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await slipway(['--server', NOWHERE, ...c.args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, c.message);
      assert.doesNotMatch(r.stderr, /cannot reach/);
    });
  }

  it('task alone prints its usage', async () => {
    const r = await slipway(['task']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage: slipway task/);
  });

  const secrets: { name: string; args: string[]; message: RegExp }[] = [
    { name: 'a token with a newline', args: ['--git-token', `${TOKEN}\n`], message: /--git-token: the token contains whitespace/ },
    { name: 'a token in the URL', args: ['--context', `https://x-access-token:${TOKEN}@github.com/org/app.git`], message: /--context: the URL contains credentials/ },
    { name: 'a token as the https user', args: ['--context', `https://${TOKEN}@github.com/org/app.git`], message: /--context: the URL contains credentials/ },
    { name: 'a mistyped --git-token=', args: [`--git-tokn=${TOKEN}`], message: /^slipway: unknown option '--git-tokn=…'/m },
    { name: 'an empty token', args: ['--git-token', ''], message: /--git-token: the token is empty/ },
  ];
  for (const c of secrets) {
    it(`${c.name}: refused without printing it`, async () => {
      const r = await slipway(['--server', NOWHERE, 'task', 'create', 'web', '--context', GIT, '-t', 'app:1', ...c.args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, c.message);
      noToken(r);
    });
  }
});

describe('task help exits 0', () => {
  it('create --help lists the flags', async () => {
    const r = await slipway(['task', 'create', '--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--context', '--file', '--image', '--platform', '--build-arg', '--commit-trigger', '--pr-trigger', '--base-image-trigger', '--schedule', '--git-token', '--timeout', '--no-push', '--json']) {
      assert.ok(r.stdout.includes(flag), `${flag} missing from help`);
    }
  });
});

describe('an unreachable server exits 3', { concurrency: CONCURRENCY }, () => {
  /** A port that was just listened on and closed: nothing answers, and fetch does try it. */
  let closed: string;
  before(async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closed = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise((resolve) => server.close(resolve));
  });

  const commands = [
    ['task', 'create', 'web', '--context', GIT, '-t', 'app:{{.Run.ID}}', '--schedule', '0 3 * * *', '--git-token', TOKEN],
    ['task', 'update', 'web', '--commit-trigger', 'off', '--git-token', TOKEN],
    ['task', 'list'],
    ['task', 'show', 'web'],
    ['task', 'delete', 'web'],
    ['task', 'run', 'web'],
    ['task', 'run', 'web', '--no-logs'],
    ['task', 'runs', 'web', '--status', 'failed', '--top', '5'],
  ];
  for (const args of commands) {
    it(args.slice(0, 3).join(' '), async () => {
      const r = await slipway([...args, '--server', closed]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^slipway: cannot reach the Slipway API at http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED .+; start it with npm run up or pass --server$/m);
      assert.doesNotMatch(r.stdout, /Run ID/);
      noToken(r);
    });
  }

  it('a port fetch would refuse to use (9) is tried like any other', async () => {
    const r = await slipway(['task', 'list', '--server', 'http://127.0.0.1:9']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /cannot reach the Slipway API at http:\/\/127\.0\.0\.1:9: connect ECONNREFUSED/);
  });
});
