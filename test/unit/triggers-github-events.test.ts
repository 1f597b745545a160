// Pure parts of the GitHub trigger: payload → event mapping on the real example payloads GitHub
// documents (@octokit/webhooks-examples), ref parsing and commit ids, table-driven.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { isSlipwayError } from '../../src/errors.js';
import type { TriggerMapping } from '../../src/triggers/events.js';
import { pullRequestEventToTrigger, pushEventToTrigger } from '../../src/triggers/github-events.js';
import { isCommitSha, isFullRefName, isZeroSha, parseRef } from '../../src/triggers/refs.js';

type Payload = Record<string, any>;
const definitions = createRequire(import.meta.url)('@octokit/webhooks-examples') as { name: string; examples: Payload[] }[];
const examples = (name: string): Payload[] => structuredClone(definitions.find((d) => d.name === name)?.examples ?? []);

const HELLO_WORLD_URLS = [
  'https://github.com/Codertocat/Hello-World.git',
  'git@github.com:Codertocat/Hello-World.git',
  'https://github.com/Codertocat/Hello-World',
  'git://github.com/Codertocat/Hello-World.git',
];
const AFTER = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
const PR_HEAD = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';

function event(mapping: TriggerMapping) {
  assert.ok('event' in mapping, `expected an event, got ignored: ${'ignored' in mapping ? mapping.ignored : ''}`);
  return mapping.event;
}

function badInput(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isSlipwayError(err), String(err));
    assert.equal(err.status, 400);
    assert.equal(err.code, 'invalid_payload');
    assert.match(err.message, message);
    return true;
  });
}

describe('pushEventToTrigger on the GitHub examples', () => {
  const pushes = examples('push');

  it('has the examples this suite relies on', () => {
    assert.ok(pushes.length >= 5);
  });

  it('a new branch: ref, branch, after sha, every repository URL, sender', () => {
    const payload = pushes.find((p) => p.ref === 'refs/heads/master' && !p.deleted);
    assert.equal(payload?.created, true);
    assert.deepEqual(event(pushEventToTrigger(payload, 'd-1')), {
      source: 'github',
      kind: 'push',
      deliveryId: 'd-1',
      repositoryUrls: HELLO_WORLD_URLS,
      ref: 'refs/heads/master',
      branch: 'master',
      sha: AFTER,
      sender: 'Codertocat',
    });
  });

  it('a tag push names the tag and no branch', () => {
    const e = event(pushEventToTrigger(pushes.find((p) => p.ref === 'refs/tags/simple-tag' && !p.deleted), 'd-2'));
    assert.equal(e.tag, 'simple-tag');
    assert.equal(e.branch, undefined);
    assert.equal(e.sha, AFTER);
  });

  it('every tag deletion in the examples is ignored with a reason', () => {
    const deletions = pushes.filter((p) => p.deleted);
    assert.ok(deletions.length >= 1);
    for (const p of deletions) assert.deepEqual(pushEventToTrigger(p, 'd'), { ignored: 'refs/tags/simple-tag was deleted; there is nothing to build' });
  });

  it('a branch deletion (the branch example turned into its delete) is ignored', () => {
    // GitHub's examples hold no branch delete; a delete differs from a push in exactly these fields.
    const payload = { ...pushes.find((p) => p.ref === 'refs/heads/master'), ref: 'refs/heads/feature', deleted: true, created: false, after: '0'.repeat(40), head_commit: null };
    assert.match((pushEventToTrigger(payload, 'd') as { ignored: string }).ignored, /refs\/heads\/feature was deleted/);
  });

  it('an all-zero after is a deletion even without deleted:true; SHA-256 zeros too', () => {
    const base = pushes.find((p) => p.ref === 'refs/heads/master')!;
    assert.ok('ignored' in pushEventToTrigger({ ...base, deleted: false, after: '0'.repeat(40) }, 'd'));
    assert.ok('ignored' in pushEventToTrigger({ ...base, deleted: false, after: '0'.repeat(64) }, 'd'));
  });

  it('forced pushes build; a SHA-256 repository commit id is kept whole', () => {
    const base = pushes.find((p) => p.ref === 'refs/heads/master')!;
    assert.equal(event(pushEventToTrigger({ ...base, forced: true, created: false }, 'd')).sha, AFTER);
    assert.equal(event(pushEventToTrigger({ ...base, after: 'ab'.repeat(32) }, 'd')).sha, 'ab'.repeat(32));
  });

  it('GHES examples map with their own host', () => {
    const ghes = createRequire(import.meta.url)('@octokit/webhooks-examples/ghes-35/index.json') as { name: string; examples: Payload[] }[];
    const payload = ghes.find((d) => d.name === 'push')!.examples.find((p) => !p.deleted);
    const e = event(pushEventToTrigger(payload, 'd'));
    assert.ok(e.repositoryUrls.includes('https://octocoders.github.io/Codertocat/Hello-World.git'), e.repositoryUrls.join());
  });

  it('payloads missing what a build needs are bad input naming the field', () => {
    const base = pushes.find((p) => p.ref === 'refs/heads/master')!;
    const cases: [Payload | unknown, RegExp][] = [
      [{ ...base, after: 'HEAD' }, /after/],
      [{ ...base, after: AFTER.toUpperCase() }, /after/],
      [{ ...base, ref: 'master' }, /ref/],
      [{ ...base, ref: 'refs/heads/a..b' }, /ref/],
      [{ ...base, repository: null }, /repository/],
      [{ ...base, repository: { ...base.repository, clone_url: 42 } }, /repository\.clone_url/],
      [[], /expected object/],
      ['push', /expected object/],
      [null, /expected object/],
    ];
    for (const [payload, message] of cases) badInput(() => pushEventToTrigger(payload, 'd'), message);
  });
});

describe('pullRequestEventToTrigger on the GitHub examples', () => {
  const prs = examples('pull_request');
  const byAction = (action: string) => prs.filter((p) => p.action === action);

  for (const action of ['opened', 'synchronize', 'reopened'] as const) {
    it(`${action} builds refs/pull/N/head at the head sha, on the base branch`, () => {
      assert.ok(byAction(action).length >= 1);
      for (const payload of byAction(action)) {
        assert.deepEqual(event(pullRequestEventToTrigger(payload, 'pr-1')), {
          source: 'github',
          kind: 'pull_request',
          deliveryId: 'pr-1',
          repositoryUrls: HELLO_WORLD_URLS,
          ref: 'refs/pull/2/head',
          branch: 'master',
          sha: PR_HEAD,
          pullRequest: { number: 2, action, headRef: 'changes', baseRef: 'master', headRepoUrl: 'https://github.com/Codertocat/Hello-World.git' },
          sender: 'Codertocat',
        });
      }
    });
  }

  it('every other action in the examples is ignored, naming the action', () => {
    const others = prs.filter((p) => !['opened', 'synchronize', 'reopened'].includes(p.action));
    assert.ok(others.some((p) => p.action === 'closed'));
    for (const p of others) {
      const mapping = pullRequestEventToTrigger(p, 'd');
      assert.ok('ignored' in mapping);
      assert.match(mapping.ignored, new RegExp(`"${p.action}"`));
    }
  });

  it('an unknown action is ignored even when the rest of the payload is junk', () => {
    assert.ok('ignored' in pullRequestEventToTrigger({ action: 'dequeued', pull_request: 'junk' }, 'd'));
  });

  it('a fork pull request keeps the fork as its head repository', () => {
    const payload = byAction('opened')[0]!;
    payload.pull_request.head.repo.clone_url = 'https://github.com/forker/Hello-World.git';
    const e = event(pullRequestEventToTrigger(payload, 'd'));
    assert.equal(e.pullRequest?.headRepoUrl, 'https://github.com/forker/Hello-World.git');
    assert.ok(!e.repositoryUrls.includes(e.pullRequest!.headRepoUrl));
  });

  it('a pull request whose head repository is gone is ignored', () => {
    const payload = byAction('reopened')[0]!;
    payload.pull_request.head.repo = null;
    assert.match((pullRequestEventToTrigger(payload, 'd') as { ignored: string }).ignored, /head repository no longer exists/);
  });

  it('a building action with a broken payload is bad input naming the field', () => {
    const payload = byAction('synchronize')[0]!;
    badInput(() => pullRequestEventToTrigger({ ...payload, number: -1 }, 'd'), /number/);
    payload.pull_request.head.sha = 'not-a-sha';
    badInput(() => pullRequestEventToTrigger(payload, 'd'), /pull_request\.head\.sha/);
    badInput(() => pullRequestEventToTrigger({ action: 42 }, 'd'), /action/);
  });
});

describe('refs', () => {
  const refs: [string, boolean, { branch?: string; tag?: string }][] = [
    ['refs/heads/main', true, { branch: 'main' }],
    ['refs/heads/feature/deep/name', true, { branch: 'feature/deep/name' }],
    ['refs/heads/ünïcode', true, { branch: 'ünïcode' }],
    ['refs/tags/v1.2.3', true, { tag: 'v1.2.3' }],
    ['refs/tags/release/2024', true, { tag: 'release/2024' }],
    ['refs/pull/12/head', true, {}],
    ['refs/notes/commits', true, {}],
    ['main', false, {}],
    ['heads/main', false, {}],
    ['refs/heads', false, {}],
    ['refs/heads/', false, {}],
    ['refs//heads/main', false, {}],
    ['refs/heads/a..b', false, {}],
    ['refs/heads/.hidden', false, {}],
    ['refs/heads/x.lock', false, {}],
    ['refs/heads/x.', false, {}],
    ['refs/heads/a b', false, {}],
    ['refs/heads/a~1', false, {}],
    ['refs/heads/a^', false, {}],
    ['refs/heads/a:b', false, {}],
    ['refs/heads/a?', false, {}],
    ['refs/heads/a*', false, {}],
    ['refs/heads/a[1]', false, {}],
    ['refs/heads/a\\b', false, {}],
    ['refs/heads/a@{1}', false, {}],
    ['refs/heads/a\u0000b', false, {}],
    ['refs/heads/a\nb', false, {}],
    ['refs/heads/a\u007fb', false, {}],
    ['refs/heads/' + 'x'.repeat(1100), false, {}],
  ];
  for (const [ref, valid, parsed] of refs) {
    it(`${JSON.stringify(ref.slice(0, 40))} is ${valid ? 'a valid' : 'not a'} full ref`, () => {
      assert.equal(isFullRefName(ref), valid);
      if (valid) assert.deepEqual(parseRef(ref), parsed);
    });
  }

  it('commit ids: 40 or 64 lower-case hex; the all-zero id is a deletion', () => {
    const cases: [string, boolean, boolean][] = [
      [AFTER, true, false],
      ['a'.repeat(64), true, false],
      ['0'.repeat(40), true, true],
      ['0'.repeat(64), true, true],
      ['0'.repeat(39), false, false],
      ['a'.repeat(41), false, false],
      [AFTER.toUpperCase(), false, false],
      ['g'.repeat(40), false, false],
      ['', false, false],
    ];
    for (const [sha, valid, zero] of cases) {
      assert.equal(isCommitSha(sha), valid, sha);
      assert.equal(isZeroSha(sha), zero, sha);
    }
  });
});
