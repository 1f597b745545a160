// Parsers of git's plumbing output and the one table that turns git's stderr into a GitError.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGitError } from '../../src/git/errors.js';
import { gitFailure, lastWords } from '../../src/git/failure.js';
import { parseGitlinks, parseLsRemote, parseSubmoduleConfig } from '../../src/git/output.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('parseLsRemote', () => {
  it('reads refs and the symbolic HEAD', () => {
    const text = `ref: refs/heads/main\tHEAD\n${A}\tHEAD\n${A}\trefs/heads/main\n${B}\trefs/tags/v1\n${A}\trefs/tags/v1^{}\n`;
    assert.deepEqual(parseLsRemote(text), {
      head: 'refs/heads/main',
      refs: [
        { sha: A, name: 'HEAD' },
        { sha: A, name: 'refs/heads/main' },
        { sha: B, name: 'refs/tags/v1' },
        { sha: A, name: 'refs/tags/v1^{}' },
      ],
    });
  });
  it('ignores noise and an empty answer', () => {
    assert.deepEqual(parseLsRemote(''), { refs: [] });
    assert.deepEqual(parseLsRemote(`warning: redirecting\nxyz\trefs/heads/a\n${'c'.repeat(64)}\trefs/heads/sha256\n`), { refs: [{ sha: 'c'.repeat(64), name: 'refs/heads/sha256' }] });
  });
});

describe('parseGitlinks', () => {
  it('keeps only gitlinks, paths with spaces and tabs intact', () => {
    const text = [`100644 blob ${A}\t.gitmodules`, `160000 commit ${B}\tvendor/lib`, `160000 commit ${A}\tpath with\ttab`, `040000 tree ${A}\tdir`, `120000 blob ${A}\tlink`, ''].join('\0');
    assert.deepEqual(parseGitlinks(text), [
      { sha: B, path: 'vendor/lib' },
      { sha: A, path: 'path with\ttab' },
    ]);
  });
});

describe('parseSubmoduleConfig', () => {
  it('groups path and url by submodule name, names with dots included', () => {
    const text = ['submodule.lib.path\nvendor/lib', 'submodule.lib.url\n../lib.git', 'submodule.a.b.c.path\nx', 'submodule.a.b.c.url\nhttps://h/x.git', 'submodule.lib.branch\nmain', 'core.bare\nfalse', ''].join('\0');
    assert.deepEqual(parseSubmoduleConfig(text), [
      { name: 'lib', path: 'vendor/lib', url: '../lib.git' },
      { name: 'a.b.c', path: 'x', url: 'https://h/x.git' },
    ]);
  });
  it('a value with a newline stays whole', () => {
    assert.deepEqual(parseSubmoduleConfig('submodule.x.url\nline1\nline2\0'), [{ name: 'x', url: 'line1\nline2' }]);
  });
});

describe('gitFailure', () => {
  const ctx = { url: 'https://github.com/o/r.git', operation: 'fetching', tokenGiven: false };
  const cases: [string, boolean, string, number, RegExp][] = [
    ["fatal: could not read Username for 'https://github.com': terminal prompts disabled", false, 'git_unauthorized', 401, /pass a token with --git-token/],
    ["fatal: could not read Username for 'https://github.com': terminal prompts disabled", true, 'git_unauthorized', 401, /token was refused/],
    ["remote: Invalid username or password.\nfatal: Authentication failed for 'https://github.com/o/r.git/'", true, 'git_unauthorized', 401, /token was refused/],
    ['git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.', false, 'git_unauthorized', 401, /ssh server refused/],
    ["fatal: unable to access 'https://h/r.git/': The requested URL returned error: 403", true, 'git_denied', 403, /403/],
    ["fatal: repository 'https://github.com/o/r.git/' not found", false, 'git_repository_not_found', 404, /not found \(if it is private/],
    ["remote: Repository not found.\nfatal: repository 'https://github.com/o/r.git/' not found", true, 'git_repository_not_found', 404, /or the token may not read it/],
    ['fatal: remote error: access denied or repository not exported: /x.git', false, 'git_repository_not_found', 404, /not found/],
    ['fatal: remote error: no such repository: /nope.git', false, 'git_repository_not_found', 404, /not found/],
    ["fatal: couldn't find remote ref refs/heads/nope", false, 'git_ref_not_found', 404, /no ref refs\/heads\/nope/],
    [`fatal: remote error: upload-pack: not our ref ${A}`, false, 'git_commit_not_found', 404, new RegExp(`no commit ${A}`)],
    [`error: Server does not allow request for unadvertised object ${A}`, false, 'git_commit_not_found', 404, /force-pushed/],
    ["fatal: unable to access 'https://h/r.git/': The requested URL returned error: 301", false, 'git_redirect', 400, /moved/],
    ["fatal: unable to access 'https://nope.invalid/r.git/': Could not resolve host: nope.invalid", false, 'git_unavailable', 503, /could not be reached/],
    ["fatal: unable to access 'https://h/r.git/': Failed to connect to h port 443 after 1 ms: Connection refused", false, 'git_unavailable', 503, /try again later/],
    ["fatal: unable to access 'https://h/r.git/': The requested URL returned error: 502", false, 'git_unavailable', 503, /could not be reached/],
    ['error: RPC failed; curl 18 transfer closed\nfatal: early EOF', false, 'git_unavailable', 503, /could not be reached/],
    ['fatal: bad object HEAD', false, 'git_failed', 502, /fetching https:\/\/github.com\/o\/r.git failed: fatal: bad object HEAD/],
    ['', false, 'git_failed', 502, /failed$/],
  ];
  for (const [stderr, tokenGiven, code, status, message] of cases) {
    it(`${code}: ${stderr.split('\n').pop()!.slice(0, 70)}`, () => {
      const err = gitFailure(stderr, { ...ctx, tokenGiven });
      assert.ok(isGitError(err));
      assert.equal(err.code, code);
      assert.equal(err.status, status);
      assert.match(err.message, message);
      assert.equal(err.retryable, code === 'git_unavailable');
    });
  }

  it('lastWords picks the last fatal or error line and shortens it', () => {
    assert.equal(lastWords('remote: Counting\rremote: done\nfatal: one\nhint: try this\n'), 'fatal: one');
    assert.equal(lastWords('just text\n'), 'just text');
    assert.equal(lastWords(`fatal: ${'x'.repeat(400)}`).length, 301);
  });

  it('an error whose prototype was lost is still recognised by name', () => {
    const err = gitFailure("fatal: couldn't find remote ref x", ctx);
    const copy = Object.assign(new Error(err.message), { name: err.name, code: err.code, status: err.status });
    assert.ok(isGitError(copy));
  });
});
