// Build and cmd lines split as a shell would split them, and build lines read as docker build reads them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBuildLine } from '../../src/taskfile/build-flags.js';
import { splitWords } from '../../src/taskfile/words.js';

describe('words', () => {
  const cases: [string, string[]][] = [
    ['bash echo hi', ['bash', 'echo', 'hi']],
    ["bash -c 'echo \"secret is $MY_SECRET\"'", ['bash', '-c', 'echo "secret is $MY_SECRET"']],
    ['a "b c" d', ['a', 'b c', 'd']],
    ['a "x\\"y\\\\z\\n"', ['a', 'x"y\\z\\n']],
    ["a 'it''s'", ['a', 'its']],
    ['a\\ b', ['a b']],
    ['  spaced\n\tout  ', ['spaced', 'out']],
    ['a "" b', ['a', '', 'b']],
    ['', []],
  ];
  for (const [line, want] of cases) it(JSON.stringify(line), () => assert.deepEqual(splitWords(line), want));
  it('an unclosed quote', () => assert.throws(() => splitWords('a "b'), /unclosed " quote/));
});

describe('build lines', () => {
  it('every supported flag', () => {
    assert.deepEqual(parseBuildLine('-t a:1 --tag=b:2 -f dir/Dockerfile --build-arg X=1 --build-arg=Y=a=b --target t --platform linux/arm64 --cache-from c:1 --secret id=npmrc --secret=id=tok --no-cache --pull sub'), {
      tags: ['a:1', 'b:2'],
      dockerfile: 'dir/Dockerfile',
      buildArgs: { X: '1', Y: 'a=b' },
      target: 't',
      platform: 'linux/arm64',
      cacheFrom: ['c:1'],
      secrets: ['npmrc', 'tok'],
      noCache: true,
      pull: true,
      context: 'sub',
    });
  });
  it('--label KEY=VALUE and KEY, as docker build', () =>
    assert.deepEqual(parseBuildLine('--label a=1 --label=b=x=y --label c .').labels, { a: '1', b: 'x=y', c: '' }));
  it('--no-cache=false', () => assert.equal(parseBuildLine('--no-cache=false .').noCache, false));
  const bad: [string, RegExp][] = [
    ['-t app', /context is missing/],
    ['. other', /one build context expected, found 2/],
    ['-t', /-t needs a value/],
    ['--squash .', /--squash is not supported/],
    ['--build-arg X .', /expected KEY=VALUE/],
    ['--no-cache=maybe .', /expected true or false/],
    ['--secret id=npmrc,src=/root/.npmrc .', /expected id=ID/],
    ['--secret env=HOME .', /expected id=ID/],
    ['-', /stdin/],
    ['https://example.com/app.tar.gz', /a remote build context \(https:\/\/example\.com\/app\.tar\.gz\) that is not a git repository is not supported/],
    ['https://github.com/x/y.git#main:../up', /invalid context directory "\.\.\/up": it contains "\.\."/],
    ['https://github.com/x/y.git#main:.git', /names the \.git directory/],
  ];
  for (const [line, message] of bad) it(`refuses ${line}`, () => assert.throws(() => parseBuildLine(line), message));

  const remotes: [line: string, git: { url: string; ref?: string; subdir?: string }][] = [
    ['-t app https://github.com/org/repo.git#main:docker', { url: 'https://github.com/org/repo.git', ref: 'main', subdir: 'docker' }],
    ['https://github.com/org/repo.git', { url: 'https://github.com/org/repo.git' }],
    ['https://github.com/org/repo.git#:sub/dir', { url: 'https://github.com/org/repo.git', subdir: 'sub/dir' }],
    ['https://github.com/org/repo.git#v1.2', { url: 'https://github.com/org/repo.git', ref: 'v1.2' }],
    ['git@github.com:org/repo.git#main', { url: 'git@github.com:org/repo.git', ref: 'main' }],
  ];
  for (const [line, git] of remotes) {
    it(`reads the git context of ${line}`, () => {
      const spec = parseBuildLine(line);
      assert.deepEqual(spec.git, git);
      assert.equal(spec.context, line.split(' ').at(-1));
    });
  }
});
