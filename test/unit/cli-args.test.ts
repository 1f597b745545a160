// The real `slipway` process: bad arguments exit 2 with a message naming the flag and never reach a server;
// an unreachable server exits 3 with a hint; the packed context is removed whatever happens.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runSlipway, type CliResult } from '../support/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Port 1 is never served: a usage error that wrongly went on to the network would exit 3, not 2. */
const NOWHERE = 'http://127.0.0.1:1';
/** Each child compiles TypeScript on start; more at once than the machine has cores only makes them all slow. */
const CONCURRENCY = Math.max(1, Math.min(4, os.availableParallelism()));

type Result = CliResult;

function slipway(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<Result> {
  const childEnv = { ...process.env, ...env };
  if (!('SLIPWAY_SERVER' in env)) delete childEnv.SLIPWAY_SERVER;
  return runSlipway(args, { cwd, env: childEnv, timeoutMs: 60_000 });
}

let work: string;
let context: string;
/** A folder with no Dockerfile. */
let empty: string;

before(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-cli-args-'));
  context = path.join(work, 'app');
  empty = path.join(work, 'empty');
  await fs.mkdir(context);
  await fs.mkdir(empty);
  await fs.writeFile(path.join(context, 'Dockerfile'), 'FROM scratch\nCOPY hello /hello\n');
  await fs.writeFile(path.join(context, 'hello'), 'hello\n');
});

after(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('argument errors exit 2 before any request', { concurrency: CONCURRENCY }, () => {
  const cases: { name: string; args: () => string[]; message: RegExp; absent?: string }[] = [
    { name: 'a --build-arg without =', args: () => ['build', context, '--build-arg', 'FOO'], message: /^slipway: --build-arg "FOO": expected KEY=VALUE$/m },
    { name: 'a --build-arg with an empty name', args: () => ['build', context, '--build-arg', '=x'], message: /--build-arg "=x": the name before = is empty/ },
    { name: 'a --build-arg with a bad name', args: () => ['build', context, '--build-arg', '9LIVES=x'], message: /--build-arg "9LIVES": a build-arg name/ },
    {
      name: 'a --secret-build-arg without =, not echoed',
      args: () => ['build', context, '--secret-build-arg', 'hunter2-value'],
      message: /--secret-build-arg: expected KEY=VALUE/,
      absent: 'hunter2',
    },
    {
      name: 'a name given as both --build-arg and --secret-build-arg',
      args: () => ['build', context, '--build-arg', 'TOKEN=a', '--secret-build-arg', 'TOKEN=b'],
      message: /TOKEN: given both as --build-arg and --secret-build-arg/,
    },
    { name: 'a --timeout that is not a number', args: () => ['build', context, '--timeout', 'soon'], message: /--timeout "soon": expected a whole number of seconds/ },
    { name: 'a zero --timeout', args: () => ['build', context, '--timeout', '0'], message: /--timeout "0": must be at least 1 second/ },
    { name: 'a negative --timeout', args: () => ['build', context, '--timeout', '-5'], message: /--timeout "-5"/ },
    { name: 'a fractional --timeout', args: () => ['build', context, '--timeout', '1.5'], message: /--timeout "1.5"/ },
    { name: 'a malformed --platform', args: () => ['build', context, '--platform', 'linux/'], message: /--platform: invalid platform/ },
    { name: 'an empty -t', args: () => ['build', context, '-t', ''], message: /--tag: the image name is empty/ },
    { name: 'a missing build context', args: () => ['build', path.join(work, 'nope')], message: /nope is not a directory/ },
    { name: 'a context without a Dockerfile', args: () => ['build', empty], message: /Dockerfile not found/ },
    { name: 'a missing -f Dockerfile', args: () => ['build', context, '-f', path.join(work, 'Nope.Dockerfile')], message: /Dockerfile not found/ },
    { name: 'an unknown option', args: () => ['build', context, '--bogus'], message: /^slipway: unknown option '--bogus'/m },
    { name: 'an option without its value', args: () => ['build', context, '--timeout'], message: /option '--timeout <seconds>' argument missing/ },
    { name: 'an unknown command', args: () => ['deploy'], message: /unknown command 'deploy'/ },
    { name: 'a bad run id', args: () => ['runs', 'show', '../../v1/health'], message: /"..\/..\/v1\/health" is not a run id/ },
    { name: 'a missing run id', args: () => ['runs', 'logs'], message: /missing required argument 'id'/ },
    { name: 'a bad --top', args: () => ['runs', 'list', '--top', '0'], message: /--top "0": expected a whole number from 1 to 1000/ },
    { name: 'a bad --status', args: () => ['runs', 'list', '--status', 'done'], message: /--status "done": expected one of queued/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await slipway(['--server', NOWHERE, ...c.args()]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, c.message);
      assert.doesNotMatch(r.stderr, /cannot reach/);
      if (c.absent) assert.ok(!r.stderr.includes(c.absent) && !r.stdout.includes(c.absent), 'the secret was printed');
    });
  }

  const servers: [string, RegExp][] = [
    ['not a url', /--server "not a url": expected an http:\/\/ or https:\/\/ URL/],
    ['127.0.0.1:8080', /e\.g\. http:\/\/127\.0\.0\.1:8080/],
    ['ftp://127.0.0.1', /--server "ftp:\/\/127.0.0.1": expected an http:\/\/ or https:\/\/ URL/],
    ['http://user:pw@127.0.0.1', /--server: credentials in the URL are not supported/],
  ];
  for (const [server, message] of servers) {
    it(`a bad --server ${JSON.stringify(server)}`, async () => {
      const r = await slipway(['runs', 'list', '--server', server]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    });
  }

  it('a bad SLIPWAY_SERVER, named as such', async () => {
    const r = await slipway(['runs', 'list'], { SLIPWAY_SERVER: 'ftp://127.0.0.1' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /SLIPWAY_SERVER/);
  });

  it('no command: usage on stderr', async () => {
    const r = await slipway([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage: slipway/);
  });
});

describe('help and version exit 0', { concurrency: CONCURRENCY }, () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await slipway(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('--help lists every command, the task group included (it is loaded only when needed)', async () => {
    for (const args of [['--help'], ['help'], ['--server', NOWHERE, '--help']]) {
      const r = await slipway(args);
      assert.equal(r.code, 0, r.stderr);
      for (const command of ['build', 'runs', 'task']) assert.match(r.stdout, new RegExp(`^  ${command} `, 'm'), `${command} missing from ${args.join(' ')}`);
    }
  });

  it('task commands are found after a global option that takes a value', async () => {
    const r = await slipway(['--server', NOWHERE, 'task', 'list']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /cannot reach the Slipway API at http:\/\/127\.0\.0\.1:1/);
  });

  it('build --help lists the flags', async () => {
    const r = await slipway(['build', '--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--tag', '--file', '--build-arg', '--secret-build-arg', '--platform', '--target', '--no-push', '--no-logs', '--no-wait', '--timeout', '--server']) {
      assert.ok(r.stdout.includes(flag), `${flag} missing from help`);
    }
  });
});

describe('an unreachable server exits 3', { concurrency: CONCURRENCY }, () => {
  const hint = /^slipway: cannot reach the Slipway API at http:\/\/127\.0\.0\.1:1: .+; start it with npm run up or pass --server$/m;

  for (const args of [['runs', 'list'], ['runs', 'show', 'r0000001'], ['runs', 'logs', 'r0000001', '--follow'], ['runs', 'cancel', 'r0000001']]) {
    it(args.join(' '), async () => {
      const r = await slipway([...args, '--server', NOWHERE]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, hint);
    });
  }

  it('build, after packing, and the packed context is removed', async () => {
    const own = await fs.mkdtemp(path.join(work, 'tmp-build-'));
    const r = await slipway(['build', context, '-t', 'app:1', '--server', NOWHERE], { TMPDIR: own });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, hint);
    assert.doesNotMatch(r.stdout, /Run ID/);
    // tsx keeps its compile cache in TMPDIR too; only the packer's own directories matter.
    const left = (await fs.readdir(own)).filter((name) => name.startsWith('slipway-context-'));
    assert.deepEqual(left, [], 'the packed context was left behind');
  });

  it('a refused connection names the socket error', async () => {
    const r = await slipway(['runs', 'list', '--server', 'http://127.0.0.1:59']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /cannot reach the Slipway API at http:\/\/127\.0\.0\.1:59: connect ECONNREFUSED/);
  });
});
