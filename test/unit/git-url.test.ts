// Git repository URLs, build contexts, refs and host classes: table tests of the pure parsers in src/git/,
// hostile input included (credentials, option injection, remote helpers, loopback spelled every way).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSlipwayError } from '../../src/errors.js';
import { looksLikeGitContext, parseGitContext, parseSubdir } from '../../src/git/context.js';
import { classifyHost, parseIPv4Loose } from '../../src/git/hosts.js';
import { parseGitRef } from '../../src/git/refs.js';
import { checkGitUrl, parseGitUrl, repositoryKey, resolveSubmoduleUrl, sameRepository, type GitUrlPolicy } from '../../src/git/url.js';

function rejects(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isSlipwayError(err), `not a SlipwayError: ${String(err)}`);
    assert.equal(err.status, 400);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

const ALLOW_ALL: GitUrlPolicy = { allowInsecure: true, allowPrivateHosts: true, allowFile: true };

describe('parseGitUrl', () => {
  const valid: [string, { transport: string; url: string; host: string; path: string; port?: number; user?: string }][] = [
    ['https://github.com/Owner/Repo.git', { transport: 'https', url: 'https://github.com/Owner/Repo.git', host: 'github.com', path: '/Owner/Repo.git' }],
    ['HTTPS://GitHub.COM:443/o/r/', { transport: 'https', url: 'https://github.com/o/r/', host: 'github.com', path: '/o/r/' }],
    ['https://git.example.com:8443/group/sub/repo', { transport: 'https', url: 'https://git.example.com:8443/group/sub/repo', host: 'git.example.com', path: '/group/sub/repo', port: 8443 }],
    ['http://127.0.0.1:3000/r.git', { transport: 'http', url: 'http://127.0.0.1:3000/r.git', host: '127.0.0.1', path: '/r.git', port: 3000 }],
    ['https://[::1]:8443/r.git', { transport: 'https', url: 'https://[::1]:8443/r.git', host: '::1', path: '/r.git', port: 8443 }],
    ['git@github.com:owner/repo.git', { transport: 'ssh', url: 'git@github.com:owner/repo.git', host: 'github.com', path: 'owner/repo.git', user: 'git' }],
    ['github.com:owner/repo', { transport: 'ssh', url: 'github.com:owner/repo', host: 'github.com', path: 'owner/repo' }],
    ['git@[::1]:r.git', { transport: 'ssh', url: 'git@[::1]:r.git', host: '::1', path: 'r.git', user: 'git' }],
    ['ssh://git@github.com/owner/repo', { transport: 'ssh', url: 'ssh://git@github.com/owner/repo', host: 'github.com', path: '/owner/repo', user: 'git' }],
    ['ssh://git@Host.example:2222/o/r', { transport: 'ssh', url: 'ssh://git@host.example:2222/o/r', host: 'host.example', path: '/o/r', port: 2222, user: 'git' }],
    ['ssh://git@host:22/o/r', { transport: 'ssh', url: 'ssh://git@host/o/r', host: 'host', path: '/o/r', user: 'git' }],
    ['git+ssh://git@host/x.git', { transport: 'ssh', url: 'ssh://git@host/x.git', host: 'host', path: '/x.git', user: 'git' }],
    ['ssh://host/~user/r.git', { transport: 'ssh', url: 'ssh://host/~user/r.git', host: 'host', path: '/~user/r.git' }],
    ['git://git.kernel.org/pub/scm/git/git.git', { transport: 'git', url: 'git://git.kernel.org/pub/scm/git/git.git', host: 'git.kernel.org', path: '/pub/scm/git/git.git' }],
    ['file:///srv/git/r.git', { transport: 'file', url: 'file:///srv/git/r.git', host: '', path: '/srv/git/r.git' }],
    ['file://localhost/srv/r.git', { transport: 'file', url: 'file:///srv/r.git', host: '', path: '/srv/r.git' }],
  ];
  for (const [input, expected] of valid) {
    it(`parses ${input}`, () => {
      assert.deepEqual(parseGitUrl(input), expected);
    });
  }

  const invalid: [string, RegExp][] = [
    ['', /is empty/],
    ['https://user:pass@github.com/o/r.git', /contains credentials.*--git-token/],
    ['https://ghp_abcdef0123456789@github.com/o/r.git', /contains credentials.*--git-token/],
    ['https://x-access-token:tok@github.com/o/r', /contains credentials/],
    ['ssh://git:secret@host/o/r', /contains credentials/],
    ['https://github.com/o/r.git?access_token=abc', /query string/],
    ['https://github.com/o/r.git#main', /contains "#"/],
    ['ext::sh -c touch% /tmp/pwned', /whitespace/],
    ['ext::sh', /remote-helper syntax/],
    ['fd::17', /remote-helper syntax/],
    ['-uhttps://example.com/x', /starts with "-"/],
    ['--upload-pack=touch /tmp/x', /whitespace|starts with "-"/],
    ['ssh://-oProxyCommand=touch%20x/y', /invalid host/],
    ['git@-oProxyCommand=x:y', /invalid host/],
    ['git@host:-oFoo', /path starting with "-"/],
    ['ssh://-user@host/x', /invalid user name/],
    ['https:///github.com/o/r', /has no host/],
    ['https:/github.com/o/r', /not a valid URL/],
    ['https://github.com\\@evil.com/o/r', /backslash/],
    ['https://github.com', /no repository path/],
    ['https://github.com/', /no repository path/],
    ['https://exa mple.com/r', /whitespace/],
    ['https://github.com/o/r\n', /control characters/],
    ['https://github.com/o/r\u0000', /control characters/],
    ['https://gïthub.com/o/r', /non-ASCII/],
    ['https://h:99999/x', /not a valid URL/],
    ['ssh://h:0/x', /invalid port/],
    ['ssh://h:abc/x', /invalid port/],
    ['git://user@host/x', /user name/],
    ['ftp://host/r.git', /unsupported scheme ftp/],
    ['javascript://host/x', /unsupported scheme/],
    ['/srv/git/r.git', /local path; use a file:\/\/ URL/],
    ['./r.git', /local path/],
    ['github.com/owner/repo', /write it as https:\/\/github.com\/owner\/repo/],
    ['file://otherhost/srv/r.git', /names a host/],
    ['https://h/' + 'a'.repeat(3000), /longer than 2048/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input.slice(0, 60))}`, () => rejects(() => parseGitUrl(input), 'invalid_git_url', message));
  }

  it('never echoes a password it refuses beyond the input itself', () => {
    assert.throws(() => parseGitUrl('https://u:hunter2@h/x'), (err: Error) => !err.message.includes('--git-token=hunter2'));
  });
});

describe('checkGitUrl policy', () => {
  const refused: [string, RegExp][] = [
    ['http://github.com/o/r.git', /http:\/\/ is not encrypted/],
    ['git://github.com/o/r.git', /git:\/\/ is not encrypted/],
    ['file:///srv/r.git', /file:\/\/ repositories/],
    ['https://127.0.0.1/o/r', /127\.0\.0\.1 is a loopback address/],
    ['https://127.1.2.3/o/r', /loopback/],
    ['https://localhost/o/r', /loopback/],
    ['https://LocalHost./o/r', /loopback/],
    ['https://api.localhost/o/r', /loopback/],
    ['https://0x7f.1/o/r', /loopback/],
    ['https://0x7f000001/o/r', /loopback/],
    ['https://2130706433/o/r', /loopback/],
    ['https://0177.0.0.1/o/r', /loopback/],
    ['https://127.0.0.%31/o/r', /loopback/],
    ['https://[::1]/o/r', /loopback/],
    ['https://[0:0:0:0:0:0:0:1]/o/r', /loopback/],
    ['https://[::ffff:127.0.0.1]/o/r', /loopback/],
    ['https://[::ffff:10.0.0.1]/o/r', /private-network/],
    ['https://0/o/r', /unspecified/],
    ['https://0.0.0.0/o/r', /unspecified/],
    ['https://[::]/o/r', /unspecified/],
    ['https://10.0.0.1/o/r', /private-network/],
    ['https://172.16.0.1/o/r', /private-network/],
    ['https://172.31.255.255/o/r', /private-network/],
    ['https://192.168.1.10/o/r', /private-network/],
    ['https://100.64.0.1/o/r', /private-network/],
    ['https://[fd12:3456::1]/o/r', /private-network/],
    ['https://[fc00::1]/o/r', /private-network/],
    ['https://169.254.169.254/latest/meta-data', /link-local/],
    ['https://[fe80::1]/o/r', /link-local/],
    ['https://224.0.0.1/o/r', /multicast/],
    ['ssh://git@127.0.0.1/o/r', /loopback/],
    ['ssh://git@0x7f.1/o/r', /loopback/],
    ['git@localhost:o/r.git', /loopback/],
    ['git@[::1]:o/r.git', /loopback/],
    ['git@10.1.1.1:o/r.git', /private-network/],
    ['ssh://[fe80::1]/o/r', /link-local/],
  ];
  for (const [input, message] of refused) {
    it(`refuses ${input} by default`, () => rejects(() => checkGitUrl(input), 'git_url_not_allowed', message));
  }

  const allowed = ['https://github.com/o/r.git', 'https://172.32.0.1/o/r', 'https://8.8.8.8/o/r', 'git@github.com:o/r.git', 'ssh://git@gitlab.com:2222/o/r', 'https://[2001:db8::1]/o/r'];
  for (const input of allowed) it(`allows ${input} by default`, () => assert.ok(checkGitUrl(input)));

  it('allows each refused kind when its option says so', () => {
    assert.equal(checkGitUrl('http://127.0.0.1:8080/r.git', { allowInsecure: true, allowPrivateHosts: true, allowFile: false }).url, 'http://127.0.0.1:8080/r.git');
    assert.equal(checkGitUrl('git://10.0.0.1/r.git', { allowInsecure: true, allowPrivateHosts: true, allowFile: false }).transport, 'git');
    assert.equal(checkGitUrl('file:///srv/r.git', { allowInsecure: false, allowPrivateHosts: false, allowFile: true }).transport, 'file');
    rejects(() => checkGitUrl('http://127.0.0.1/r.git', { allowInsecure: true, allowPrivateHosts: false, allowFile: false }), 'git_url_not_allowed', /loopback/);
    rejects(() => checkGitUrl('http://github.com/r.git', { allowInsecure: false, allowPrivateHosts: true, allowFile: false }), 'git_url_not_allowed', /not encrypted/);
  });

  it('hands git the canonical form of what it checked', () => {
    assert.equal(checkGitUrl('HTTPS://GitHub.com:443/Owner/Repo.git', ALLOW_ALL).url, 'https://github.com/Owner/Repo.git');
    assert.equal(checkGitUrl('https://0x7f.1/r', ALLOW_ALL).url, 'https://127.0.0.1/r');
  });
});

describe('repositoryKey', () => {
  const same = [
    'https://github.com/Owner/Repo.git',
    'https://github.com/owner/repo',
    'https://github.com/owner/repo/',
    'https://GITHUB.com:443/owner/repo.git/',
    'http://github.com/owner/repo',
    'git@github.com:owner/repo.git',
    'git@github.com:Owner/Repo',
    'ssh://git@github.com/owner/repo.git',
    'ssh://git@github.com:22/owner/repo',
    'git+ssh://git@github.com/owner/repo',
  ];
  for (const url of same) it(`${url} is github.com/owner/repo`, () => assert.equal(repositoryKey(url), 'github.com/owner/repo'));

  const different: [string, string][] = [
    ['https://github.com/owner/repo', 'https://github.com/owner/repo2'],
    ['https://github.com/owner/repo', 'https://gitlab.com/owner/repo'],
    ['https://github.com/owner/repo', 'https://github.com:8443/owner/repo'],
    ['https://github.com/owner/repo', 'https://github.com/other/repo'],
    ['https://github.com/a/b/c', 'https://github.com/a/b'],
  ];
  for (const [a, b] of different) it(`${a} is not ${b}`, () => assert.equal(sameRepository(a, b), false));

  it('sameRepository is false for anything that is not a git URL', () => {
    assert.equal(sameRepository('https://github.com/o/r', 'not a url'), false);
    assert.equal(sameRepository('https://github.com/o/r', 'https://github.com/O/R.git'), true);
  });
});

describe('resolveSubmoduleUrl', () => {
  const cases: [string, string, string][] = [
    ['https://github.com/o/app.git', '../lib.git', 'https://github.com/o/lib.git'],
    ['https://github.com/o/app.git', '../../other/lib.git', 'https://github.com/other/lib.git'],
    ['https://github.com/o/app.git', './lib.git', 'https://github.com/o/app.git/lib.git'],
    ['https://github.com/o/app.git/', '../lib', 'https://github.com/o/lib'],
    ['https://github.com/app.git', '../lib.git', 'https://github.com/lib.git'],
    ['git@github.com:o/app.git', '../lib.git', 'git@github.com:o/lib.git'],
    ['git@github.com:app.git', '../lib.git', 'git@github.com:lib.git'],
    ['ssh://git@h:2222/o/app', '../lib', 'ssh://git@h:2222/o/lib'],
    ['https://github.com/o/app.git', 'https://gitlab.com/x/y.git', 'https://gitlab.com/x/y.git'],
    ['https://github.com/o/app.git', 'git@github.com:x/y.git', 'git@github.com:x/y.git'],
  ];
  for (const [base, url, expected] of cases) it(`${base} + ${url}`, () => assert.equal(resolveSubmoduleUrl(base, url), expected));

  it('refuses to climb above the host', () => {
    rejects(() => resolveSubmoduleUrl('https://github.com/app.git', '../../lib.git'), 'invalid_git_url', /climbs above the root/);
    rejects(() => resolveSubmoduleUrl('git@h:app.git', '../../lib.git'), 'invalid_git_url', /climbs above/);
  });
});

describe('parseGitContext', () => {
  const cases: [string, object][] = [
    ['https://github.com/o/r.git', { url: 'https://github.com/o/r.git' }],
    ['https://github.com/o/r.git#', { url: 'https://github.com/o/r.git' }],
    ['https://github.com/o/r.git#main', { url: 'https://github.com/o/r.git', ref: 'main' }],
    ['https://github.com/o/r.git#main:docker', { url: 'https://github.com/o/r.git', ref: 'main', subdir: 'docker' }],
    ['https://github.com/o/r.git#feature/x:./a//b/', { url: 'https://github.com/o/r.git', ref: 'feature/x', subdir: 'a/b' }],
    ['https://github.com/o/r.git#:docker', { url: 'https://github.com/o/r.git', subdir: 'docker' }],
    ['https://github.com/o/r.git#main:', { url: 'https://github.com/o/r.git', ref: 'main' }],
    ['https://github.com/o/r.git#main:.', { url: 'https://github.com/o/r.git', ref: 'main' }],
    ['https://github.com/o/r.git#refs/pull/1/head', { url: 'https://github.com/o/r.git', ref: 'refs/pull/1/head' }],
    ['https://github.com/o/r.git#refs/pull/1/merge:src', { url: 'https://github.com/o/r.git', ref: 'refs/pull/1/merge', subdir: 'src' }],
    ['https://github.com/o/r.git#0123456789abcdef0123456789abcdef01234567', { url: 'https://github.com/o/r.git', ref: '0123456789abcdef0123456789abcdef01234567' }],
    ['https://github.com/o/r.git#v1.2.3:dir:with:colons', { url: 'https://github.com/o/r.git', ref: 'v1.2.3', subdir: 'dir:with:colons' }],
    ['git@github.com:o/r.git#main:docker', { url: 'git@github.com:o/r.git', ref: 'main', subdir: 'docker' }],
    ['HTTPS://GITHUB.COM/o/r.git#main', { url: 'https://github.com/o/r.git', ref: 'main' }],
  ];
  for (const [input, expected] of cases) it(`parses ${input}`, () => assert.deepEqual(parseGitContext(input), expected));

  const bad: [string, string, RegExp][] = [
    ['https://github.com/o/r.git#main:../etc', 'invalid_git_subdir', /contains "\.\."/],
    ['https://github.com/o/r.git#main:a/../../b', 'invalid_git_subdir', /contains "\.\."/],
    ['https://github.com/o/r.git#main:/etc', 'invalid_git_subdir', /absolute/],
    ['https://github.com/o/r.git#main:a\\b', 'invalid_git_subdir', /backslash/],
    ['https://github.com/o/r.git#main:.git/hooks', 'invalid_git_subdir', /\.git directory/],
    ['https://github.com/o/r.git#main:a\u0007b', 'invalid_git_subdir', /control characters/],
    ['https://github.com/o/r.git#-uhttps', 'invalid_git_ref', /starts with "-"/],
    ['https://github.com/o/r.git#--upload-pack=x', 'invalid_git_ref', /starts with "-"/],
    ['https://github.com/o/r.git#a..b', 'invalid_git_ref', /"\.\."/],
    ['https://github.com/o/r.git#main@{1}', 'invalid_git_ref', /@\{/],
    ['https://github.com/o/r.git#a b', 'invalid_git_ref', /whitespace/],
    ['https://github.com/o/r.git#x.lock', 'invalid_git_ref', /\.lock/],
    ['https://github.com/o/r.git#refs/heads', 'invalid_git_ref', /at least three parts/],
    ['https://github.com/o/r.git#a~1', 'invalid_git_ref', /~/],
    ['https://github.com/o/r.git#a//b', 'invalid_git_ref', /empty path component/],
    ['https://u:p@github.com/o/r.git#main', 'invalid_git_url', /credentials/],
    ['https://127.0.0.1/o/r.git#main', 'git_url_not_allowed', /loopback/],
    ['http://github.com/o/r.git#main', 'git_url_not_allowed', /not encrypted/],
  ];
  for (const [input, code, message] of bad) it(`rejects ${JSON.stringify(input)}`, () => rejects(() => parseGitContext(input), code, message));

  it('applies the policy it is given', () => {
    assert.deepEqual(parseGitContext('http://127.0.0.1:9/r.git#main', ALLOW_ALL), { url: 'http://127.0.0.1:9/r.git', ref: 'main' });
  });

  it('parseSubdir normalises', () => {
    assert.equal(parseSubdir(''), undefined);
    assert.equal(parseSubdir('./'), undefined);
    assert.equal(parseSubdir('a/./b//c/'), 'a/b/c');
    assert.equal(parseSubdir('..a/b..'), '..a/b..');
  });
});

describe('looksLikeGitContext', () => {
  const yes = ['https://github.com/o/r.git', 'https://github.com/o/r.git#main:docker', 'http://h/r.git', 'git://h/r', 'git@github.com:o/r.git', 'ssh://git@h/r', 'github.com/o/r'];
  const no = ['https://example.com/context.tar.gz', 'https://example.com/r', '.', './app', '/srv/app', 'context.tar.gz'];
  for (const s of yes) it(`${s} is git`, () => assert.equal(looksLikeGitContext(s), true));
  for (const s of no) it(`${s} is not git`, () => assert.equal(looksLikeGitContext(s), false));
});

describe('parseGitRef', () => {
  const cases: [string | undefined, object][] = [
    [undefined, { kind: 'default' }],
    ['', { kind: 'default' }],
    ['HEAD', { kind: 'default' }],
    ['main', { kind: 'short', name: 'main' }],
    ['feature/login-v2', { kind: 'short', name: 'feature/login-v2' }],
    ['v1.2.3', { kind: 'short', name: 'v1.2.3' }],
    ['abc1234', { kind: 'short', name: 'abc1234' }],
    ['refs/heads/main', { kind: 'full', name: 'refs/heads/main' }],
    ['refs/pull/42/head', { kind: 'full', name: 'refs/pull/42/head' }],
    ['0123456789ABCDEF0123456789abcdef01234567', { kind: 'commit', sha: '0123456789abcdef0123456789abcdef01234567' }],
    ['a'.repeat(64), { kind: 'commit', sha: 'a'.repeat(64) }],
  ];
  for (const [input, expected] of cases) it(`${String(input)}`, () => assert.deepEqual(parseGitRef(input), expected));
  it('rejects what git check-ref-format rejects', () => {
    for (const bad of ['-x', 'a..b', 'a/.b', '.a', 'a.', 'a/', '/a', 'a:b', 'a?b', 'a*b', 'a[b', 'a\\b', 'a^b', '@', 'x'.repeat(256)]) {
      rejects(() => parseGitRef(bad), 'invalid_git_ref', /invalid git ref/);
    }
  });
});

describe('classifyHost', () => {
  const cases: [string, string][] = [
    ['github.com', 'public'],
    ['8.8.8.8', 'public'],
    ['2001:db8::1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['localhost', 'loopback'],
    ['LOCALHOST.', 'loopback'],
    ['ip6-localhost', 'loopback'],
    ['a.b.localhost', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0x7f.0.0.1', 'loopback'],
    ['017700000001', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.255.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.15.255.255', 'public'],
    ['192.168.0.1', 'private'],
    ['fd00::1', 'private'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['239.1.1.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
  ];
  for (const [host, cls] of cases) it(`${host} is ${cls}`, () => assert.equal(classifyHost(host), cls));

  it('parseIPv4Loose reads every inet_aton form and nothing else', () => {
    assert.equal(parseIPv4Loose('127.1'), '127.0.0.1');
    assert.equal(parseIPv4Loose('0x7f.1'), '127.0.0.1');
    assert.equal(parseIPv4Loose('2130706433'), '127.0.0.1');
    assert.equal(parseIPv4Loose('0177.0.0.01'), '127.0.0.1');
    assert.equal(parseIPv4Loose('10.0.258'), '10.0.1.2');
    assert.equal(parseIPv4Loose('256.0.0.1'), undefined);
    assert.equal(parseIPv4Loose('4294967296'), undefined);
    assert.equal(parseIPv4Loose('1.2.3.4.5'), undefined);
    assert.equal(parseIPv4Loose('08.0.0.1'), undefined);
    assert.equal(parseIPv4Loose('github.com'), undefined);
    assert.equal(parseIPv4Loose('1..2'), undefined);
  });
});
