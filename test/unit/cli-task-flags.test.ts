// `slipway task` options as pure functions: what create and update send for the flags given (and nothing they
// were not given), what is refused with which message, and that a git token never appears in a message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/errors.js';
import { parseChoice, parseOnOff } from '../../src/cli/flags.js';
import type { Task } from '../../src/contract/tasks.js';
import { formatTaskTriggers, renderRun, renderTask, renderTaskTable } from '../../src/cli/format.js';
import { redactUnknownOption } from '../../src/cli/program.js';
import {
  parseGitContext,
  parseGitToken,
  parseRepoPath,
  parseSchedules,
  parseTaskFlags,
  parseTaskImage,
  parseTaskName,
  type TaskFlags,
} from '../../src/cli/task-flags.js';

function refuses(fn: () => unknown, ...patterns: RegExp[]): UsageError {
  let caught: UsageError | undefined;
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    for (const p of patterns) assert.match(err.message, p);
    caught = err;
    return true;
  });
  return caught!;
}

describe('parseTaskFlags', () => {
  const cases: [string, TaskFlags, object][] = [
    ['nothing given: nothing sent', {}, {}],
    ['create defaults: only noPush false, from --no-push not given', { context: 'https://github.com/o/r.git', push: true }, { context: 'https://github.com/o/r.git', noPush: false }],
    ['--no-push', { push: false }, { noPush: true }],
    ['--push on update', { push: true }, { noPush: false }],
    ['--no-schedule removes every schedule', { schedule: false }, { schedules: [] }],
    ['schedules verbatim, in order', { schedule: ['0 3 * * *', '*/15 9-17 * * 1-5'] }, { schedules: ['0 3 * * *', '*/15 9-17 * * 1-5'] }],
    ['on/off switches', { commitTrigger: 'off', prTrigger: 'on' }, { commitTrigger: false, prTrigger: true }],
    ['base-image trigger', { baseImageTrigger: 'all' }, { baseImageTrigger: 'all' }],
    ['platforms normalised', { platform: 'linux/arm64, amd64,linux/arm64' }, { platform: 'linux/arm64,linux/amd64' }],
    ['build args, the last one winning', { buildArg: ['A=1', 'B=x=y', 'A=2'] }, { buildArgs: { A: '2', B: 'x=y' } }],
    [
      'images with run variables, verbatim',
      { image: ['app:{{.Run.ID}}', 'app:{{ .Run.ID }}', '$Registry/app:$ID', '${Registry}/app:latest', 'app:$$literal'] },
      { images: ['app:{{.Run.ID}}', 'app:{{ .Run.ID }}', '$Registry/app:$ID', '${Registry}/app:latest', 'app:$$literal'] },
    ],
    ['a Dockerfile path and a timeout', { file: 'docker/Dockerfile.prod', timeout: '900' }, { dockerfile: 'docker/Dockerfile.prod', timeoutSeconds: 900 }],
    ['labels, a key alone meaning an empty value', { label: ['org.example.team=a', 'x=1=2', 'flag'] }, { labels: { 'org.example.team': 'a', x: '1=2', flag: '' } }],
    ['a git token', { gitToken: 'ghp_abcDEF123' }, { gitToken: 'ghp_abcDEF123' }],
    ['a context with ref and subdir', { context: 'git@github.com:o/r.git#refs/heads/main:svc/api' }, { context: 'git@github.com:o/r.git#refs/heads/main:svc/api' }],
  ];
  for (const [name, flags, expected] of cases) {
    it(name, () => assert.deepEqual(parseTaskFlags(flags), expected));
  }

  const refused: [TaskFlags, RegExp][] = [
    [{ commitTrigger: 'yes' }, /^--commit-trigger "yes": expected on or off$/],
    [{ prTrigger: 'ON' }, /^--pr-trigger "ON": expected on or off$/],
    [{ prTrigger: '' }, /^--pr-trigger "": expected on or off$/],
    [{ baseImageTrigger: 'buildtime' }, /^--base-image-trigger "buildtime": expected one of runtime, all, off$/],
    [{ image: ['app:1', ''] }, /^--image: the image name is empty$/],
    [{ image: Array.from({ length: 51 }, (_, i) => `app:${i}`) }, /^--image: at most 50/],
    [{ buildArg: ['NOEQUALS'] }, /^--build-arg "NOEQUALS": expected KEY=VALUE$/],
    [{ platform: 'linux/' }, /^--platform: /],
    [{ timeout: '0' }, /^--timeout "0"/],
    [{ schedule: ['   '] }, /^--schedule: the cron expression is empty$/],
    [{ file: '/etc/passwd' }, /^--file "\/etc\/passwd": expected a path inside the repository/],
  ];
  for (const [flags, pattern] of refused) {
    it(`refuses ${JSON.stringify(flags).slice(0, 60)}`, () => void refuses(() => parseTaskFlags(flags), pattern));
  }

  it('a bad token is refused without any of it in the message', () => {
    for (const token of ['', 'ghp_secret\n', 'ghp secret', 'ghp_secret\u0000', `ghp_${'s'.repeat(5000)}`]) {
      const err = refuses(() => parseTaskFlags({ gitToken: token }), /^--git-token: /);
      assert.ok(!err.message.includes('ghp') && !err.message.includes('secret'), err.message);
    }
  });
});

describe('parseGitContext', () => {
  const accepted = [
    'https://github.com/org/app.git',
    'https://github.com/org/app.git#main',
    'https://github.com/org/app.git#refs/pull/7/head:services/web',
    'https://github.com/org/app#:docker',
    'http://git.internal:8080/team/app.git',
    'ssh://git@github.com/org/app.git',
    'git@github.com:org/app.git#v1.2.3',
    'git://git.example.org/app.git',
    'file:///srv/git/app.git',
  ];
  for (const input of accepted) it(`passes ${input} on verbatim`, () => assert.equal(parseGitContext(input), input));

  const refused: [string, RegExp][] = [
    ['', /^--context: the git URL is empty$/],
    ['.', /^--context "\.": expected a git URL.*not from a local folder \(that is slipway build\)$/],
    ['./app', /expected a git URL/],
    ['/home/me/app', /expected a git URL/],
    ['app', /expected a git URL/],
    ['C:app', /expected a git URL/],
    ['https://github.com/org/app.git main', /no spaces or control characters/],
    ['https://github.com/org/app.git\n#main', /no spaces or control characters/],
    ['https://github.com/\u0007app', /no spaces or control characters/],
    [`https://github.com/${'a'.repeat(2048)}`, /longer than 2048 characters/],
  ];
  for (const [input, pattern] of refused) it(`refuses ${JSON.stringify(input.slice(0, 40))}`, () => void refuses(() => parseGitContext(input), pattern));

  const withCredentials = [
    'https://oauth2:ghp_SECRET@github.com/org/app.git',
    'https://ghp_SECRET@github.com/org/app.git',
    'HTTP://x-token:ghp_SECRET@git.internal/app.git#main',
    'ssh://git:ghp_SECRET@github.com/org/app.git',
    'git:ghp_SECRET@github.com:org/app.git',
  ];
  for (const input of withCredentials) {
    it(`refuses credentials in ${input.replace('ghp_SECRET', '…')}, without echoing them`, () => {
      const err = refuses(() => parseGitContext(input), /^--context: the URL contains credentials; remove them and pass the token with --git-token$/);
      assert.ok(!err.message.includes('SECRET'));
    });
  }
});

describe('parseTaskImage', () => {
  const refused: [string, RegExp][] = [
    ['app: latest', /no spaces \(outside \{\{ \}\}\)/],
    ['app:{{.Run.ID}} x', /no spaces/],
    ['app:\t1', /no spaces/],
    ['app:{{.Run.ID\n}}', /control characters/],
    [`app:${'x'.repeat(1030)}`, /longer than 1024/],
  ];
  for (const [input, pattern] of refused) it(`refuses ${JSON.stringify(input.slice(0, 30))}`, () => void refuses(() => parseTaskImage(input, '--image'), /^--image/, pattern));

  it('leaves variables it does not know to the API', () => assert.equal(parseTaskImage('app:{{.Run.Nope}}-$Bogus', '--image'), 'app:{{.Run.Nope}}-$Bogus'));
});

describe('parseSchedules', () => {
  it('passes what it cannot judge on to the API', () => {
    assert.deepEqual(parseSchedules(['@daily', '0 0 0 0 0 0', 'not cron']), ['@daily', '0 0 0 0 0 0', 'not cron']);
  });
  it('refuses more than 20', () => void refuses(() => parseSchedules(Array.from({ length: 21 }, () => '0 * * * *')), /^--schedule: at most 20/));
  it('refuses a multi-line one', () => void refuses(() => parseSchedules(['0 3 * * *\n0 4 * * *']), /one line/));
  it('refuses a long one', () => void refuses(() => parseSchedules(['0 '.repeat(101)]), /longer than 200/));
});

describe('parseTaskName, parseRepoPath, parseOnOff, parseChoice', () => {
  for (const name of ['app', 'A', 'web-api_2', '9lives', 'x'.repeat(50)]) it(`accepts the name ${name.slice(0, 20)}`, () => assert.equal(parseTaskName(name), name));
  for (const name of ['', '-app', '_app', 'a/b', '../x', 'a b', 'äpp', 'x'.repeat(51), 'app\n', '%2e%2e']) {
    it(`refuses the name ${JSON.stringify(name.slice(0, 20))}`, () => void refuses(() => parseTaskName(name), /is not a task name/));
  }
  for (const p of ['Dockerfile', 'docker/Dockerfile', './Dockerfile', 'a/../Dockerfile']) it(`accepts the path ${p}`, () => assert.equal(parseRepoPath(p, '--file'), p));
  for (const p of ['', '/Dockerfile', '..', '../Dockerfile', 'a/../../Dockerfile', '..\\Dockerfile', 'Docker\nfile']) {
    it(`refuses the path ${JSON.stringify(p)}`, () => void refuses(() => parseRepoPath(p, '--file'), /^--file/));
  }
  it('on and off only', () => {
    assert.equal(parseOnOff('on', '--x'), true);
    assert.equal(parseOnOff('off', '--x'), false);
    for (const v of ['true', 'false', '1', '0', 'On', ' on', 'on\n']) refuses(() => parseOnOff(v, '--x'), /^--x ".*": expected on or off$/s);
  });
  it('a choice is one of the words, exactly', () => {
    assert.equal(parseChoice('all', ['runtime', 'all', 'off'], '--y'), 'all');
    refuses(() => parseChoice('ALL', ['runtime', 'all', 'off'], '--y'), /^--y "ALL": expected one of runtime, all, off$/);
    refuses(() => parseChoice('__proto__', ['runtime', 'all', 'off'], '--y'), /expected one of/);
  });
});

describe('redactUnknownOption', () => {
  it('leaves out the value of a mistyped option', () => {
    const text = "unknown option '--git-tokn=ghp_SECRET'\n(Did you mean --git-token?)\n";
    assert.equal(redactUnknownOption(text), "unknown option '--git-tokn=…'\n(Did you mean --git-token?)\n");
    assert.equal(redactUnknownOption("unknown option '--x=it's'"), "unknown option '--x=…'");
  });
  it('keeps other messages as they are', () => {
    for (const text of ["unknown option '--bogus'", "option '--git-token <token>' argument missing"]) assert.equal(redactUnknownOption(text), text);
  });
});

describe('task output', () => {
  const task: Task = {
    name: 'web',
    context: 'https://github.com/org/app.git#main',
    dockerfile: 'Dockerfile',
    images: ['app:{{.Run.ID}}', 'app:latest'],
    platform: 'linux/amd64,linux/arm64',
    platforms: ['linux/amd64', 'linux/arm64'],
    buildArgs: { A: '1' },
    commitTrigger: true,
    prTrigger: false,
    baseImageTrigger: 'runtime',
    schedules: ['0 3 * * *', '0,30 * * * 1'],
    timeoutSeconds: 3600,
    noPush: false,
    pullRequestPush: false,
    pullRequestImages: [],
    repository: 'https://github.com/org/app',
    hasGitToken: true,
    hasWebhookToken: false,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
  };

  it('names the triggers that are on', () => {
    assert.equal(formatTaskTriggers(task), 'commit,base-image:runtime,timer');
    assert.equal(formatTaskTriggers({ commitTrigger: false, prTrigger: true, baseImageTrigger: 'off', schedules: [] }), 'pr');
    assert.equal(formatTaskTriggers({ commitTrigger: false, prTrigger: false, baseImageTrigger: 'off', schedules: [] }), '-');
  });

  it('a table row per task, schedules apart from the commas inside them', () => {
    const lines = renderTaskTable([task]).split('\n');
    assert.match(lines[0]!, /^NAME +CONTEXT +PLATFORMS +TRIGGERS +SCHEDULES$/);
    assert.match(lines[1]!, /^web +https:\/\/github\.com\/org\/app\.git#main +linux\/amd64,linux\/arm64 +commit,base-image:runtime,timer +0 3 \* \* \*; 0,30 \* \* \* 1$/);
  });

  it('shows whether there is a token, never a token', () => {
    const text = renderTask(task);
    assert.match(text, /^Git token: +set$/m);
    assert.match(text, /^Triggers: +commit on, pull request off, base image runtime$/m);
    assert.match(renderTask({ ...task, hasGitToken: false }), /^Git token: +none$/m);
  });

  it("a task's run shows its git source, task and trigger", () => {
    const commit = 'c'.repeat(40);
    const text = renderRun({
      id: 'r0000042',
      status: 'queued',
      platform: 'linux/amd64',
      platforms: ['linux/amd64'],
      createdAt: '2024-01-01T00:00:00.000Z',
      task: 'web',
      trigger: { type: 'timer', schedule: '0 3 * * *' },
      request: {
        git: { url: 'https://github.com/org/app.git', ref: 'refs/heads/main', commit, subdir: 'svc' },
        dockerfile: 'Dockerfile',
        images: ['app:r0000042'],
        buildArgs: {},
        secretBuildArgKeys: [],
        platform: 'linux/amd64',
        noPush: false,
        timeoutSeconds: 60,
      },
      outputImages: [],
    });
    assert.match(text, /^Task: +web$/m);
    assert.match(text, /^Trigger: +timer \(0 3 \* \* \*\)$/m);
    assert.match(text, new RegExp(`^Source: +https://github\\.com/org/app\\.git#refs/heads/main:svc at ${commit}$`, 'm'));
    assert.doesNotMatch(text, /^Context:/m);
  });
});
