// The GitHub webhook router over real HTTP: GitHub's example payloads, signed like GitHub signs them,
// posted to an express app on 127.0.0.1; a handler that records what it was given stands in for run creation.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { after, describe, it } from 'node:test';
import express from 'express';
import { UnavailableError } from '../../src/errors.js';
import type { GitTriggerEvent, TriggerHandler } from '../../src/triggers/events.js';
import { githubWebhookRouter, type GitHubWebhookOptions } from '../../src/triggers/github.js';
import { listenOnLoopback } from '../support/listen.js';

type Payload = Record<string, any>;
const definitions = createRequire(import.meta.url)('@octokit/webhooks-examples') as { name: string; examples: Payload[] }[];
function example(name: string, pick: (p: Payload) => boolean = () => true): Payload {
  const found = definitions.find((d) => d.name === name)?.examples.find(pick);
  assert.ok(found, `no ${name} example`);
  return structuredClone(found);
}

const SECRET = 'current-webhook-secret';
const OLD_SECRET = 'previous-webhook-secret';
const AFTER = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
const PR_HEAD = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';
const branchPush = () => example('push', (p) => p.ref === 'refs/heads/master');
const sign = (secret: string, raw: string | Buffer) => 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex');

interface LogLine {
  level: string;
  fields: unknown;
  msg: unknown;
}
interface Hook {
  url: string;
  events: GitTriggerEvent[];
  seenIds: string[];
  logs: LogLine[];
}

const servers: Server[] = [];
after(() => {
  for (const s of servers) {
    s.close();
    s.closeAllConnections();
  }
});

async function startHook(overrides: Partial<GitHubWebhookOptions> = {}): Promise<Hook> {
  const hook: Hook = { url: '', events: [], seenIds: [], logs: [] };
  const line = (level: string) => (fields: unknown, msg?: unknown) => void hook.logs.push({ level, fields, msg });
  const app = express();
  app.use(
    githubWebhookRouter({
      secrets: [SECRET, OLD_SECRET],
      handle: async (event) => {
        hook.events.push(event);
        return { status: 'queued', runs: ['run-1'] };
      },
      seen: async (id) => {
        hook.seenIds.push(id);
        return false;
      },
      log: { info: line('info'), warn: line('warn'), error: line('error') },
      ...overrides,
    }),
  );
  const { server, base } = await listenOnLoopback(app);
  servers.push(server);
  hook.url = `${base}/v1/webhooks/github`;
  return hook;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
  ms: number;
}

/** A raw POST. With `declaredLength`, sends only `body` of that length and answers as soon as the server does. */
function post(url: string, headers: Record<string, string | number>, body: string | Buffer = '', declaredLength?: number): Promise<Reply> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, ...(declaredLength ? { 'content-length': declaredLength } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, ms: performance.now() - start });
        if (declaredLength) req.destroy();
      });
    });
    req.on('error', reject);
    if (declaredLength) req.write(body);
    else req.end(body);
  });
}

/** Posts a delivery the way GitHub does: the exact bytes, signed with `secret`. */
function deliver(hook: Hook, event: string, payload: unknown, opts: { secret?: string; raw?: string | Buffer; headers?: Record<string, string> } = {}) {
  const raw = opts.raw ?? JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/test',
    'x-github-event': event,
    'x-github-delivery': randomUUID(),
    'x-hub-signature-256': sign(opts.secret ?? SECRET, raw),
    ...opts.headers,
  };
  return post(hook.url, headers, raw);
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('POST /v1/webhooks/github: deliveries that build', () => {
  it('a branch push calls the handler once with sha, ref, branch and URLs; the answer carries the outcome', async () => {
    const hook = await startHook();
    const reply = await deliver(hook, 'push', branchPush(), { headers: { 'x-github-delivery': 'delivery-1' } });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, { status: 'queued', runs: ['run-1'], deliveryId: 'delivery-1' });
    assert.equal(hook.events.length, 1);
    const e = hook.events[0]!;
    assert.equal(e.deliveryId, 'delivery-1');
    assert.equal(e.sha, AFTER);
    assert.equal(e.ref, 'refs/heads/master');
    assert.equal(e.branch, 'master');
    assert.deepEqual(e.repositoryUrls, [
      'https://github.com/Codertocat/Hello-World.git',
      'git@github.com:Codertocat/Hello-World.git',
      'https://github.com/Codertocat/Hello-World',
      'git://github.com/Codertocat/Hello-World.git',
    ]);
    assert.deepEqual(hook.seenIds, ['delivery-1']);
  });

  it('a tag push carries the tag', async () => {
    const hook = await startHook();
    const reply = await deliver(hook, 'push', example('push', (p) => p.ref === 'refs/tags/simple-tag' && !p.deleted));
    assert.equal(reply.status, 200);
    assert.equal(hook.events[0]?.tag, 'simple-tag');
    assert.equal(hook.events[0]?.branch, undefined);
  });

  for (const action of ['opened', 'synchronize', 'reopened']) {
    it(`pull_request ${action} hands over refs/pull/2/head at the head sha`, async () => {
      const hook = await startHook();
      const reply = await deliver(hook, 'pull_request', example('pull_request', (p) => p.action === action));
      assert.equal(reply.body.status, 'queued');
      assert.equal(hook.events.length, 1);
      assert.equal(hook.events[0]?.ref, 'refs/pull/2/head');
      assert.equal(hook.events[0]?.sha, PR_HEAD);
      assert.equal(hook.events[0]?.branch, 'master');
      assert.equal(hook.events[0]?.pullRequest?.action, action);
    });
  }

  it('the previous secret still verifies while it is being rotated out', async () => {
    const hook = await startHook();
    const reply = await deliver(hook, 'push', branchPush(), { secret: OLD_SECRET });
    assert.equal(reply.status, 200);
    assert.equal(hook.events.length, 1);
  });

  it('the handler deciding to ignore is passed on', async () => {
    const hook = await startHook({ handle: async () => ({ status: 'ignored', reason: 'no task watches this repository' }) });
    const reply = await deliver(hook, 'push', branchPush());
    assert.equal(reply.status, 200);
    assert.equal(reply.body.status, 'ignored');
    assert.equal(reply.body.reason, 'no task watches this repository');
  });
});

describe('POST /v1/webhooks/github: deliveries that do not build', () => {
  it('ping answers pong with the zen', async () => {
    const hook = await startHook();
    const reply = await deliver(hook, 'ping', example('ping'));
    assert.equal(reply.status, 200);
    assert.equal(reply.body.status, 'pong');
    assert.equal(reply.body.zen, 'Anything added dilutes everything else.');
    assert.equal(hook.events.length, 0);
  });

  it('a tag deletion and a branch deletion are ignored with the reason', async () => {
    const hook = await startHook();
    const tagDelete = await deliver(hook, 'push', example('push', (p) => p.deleted));
    assert.equal(tagDelete.status, 200);
    assert.deepEqual(tagDelete.body.status, 'ignored');
    assert.match(tagDelete.body.reason, /refs\/tags\/simple-tag was deleted/);
    const branchDelete = { ...branchPush(), ref: 'refs/heads/gone', deleted: true, after: '0'.repeat(40) };
    assert.match((await deliver(hook, 'push', branchDelete)).body.reason, /refs\/heads\/gone was deleted/);
    assert.equal(hook.events.length, 0);
    assert.deepEqual(hook.seenIds, []);
  });

  it('pull_request closed is ignored, naming the action', async () => {
    const hook = await startHook();
    const reply = await deliver(hook, 'pull_request', example('pull_request', (p) => p.action === 'closed'));
    assert.equal(reply.status, 200);
    assert.equal(reply.body.status, 'ignored');
    assert.match(reply.body.reason, /"closed"/);
    assert.equal(hook.events.length, 0);
  });

  it('other event types are ignored, naming the event', async () => {
    const hook = await startHook();
    for (const name of ['star', 'issues', 'release', 'workflow_run']) {
      const reply = await deliver(hook, name, example(name));
      assert.equal(reply.status, 200, name);
      assert.equal(reply.body.status, 'ignored');
      assert.match(reply.body.reason, new RegExp(`"${name}" events do not trigger builds`));
    }
    assert.equal(hook.events.length, 0);
  });

  it('event names that are also Object.prototype members are unknown events, not code paths', async () => {
    const hook = await startHook();
    const payload = { ignored: 'injected', event: { sha: 'x' } };
    for (const name of ['constructor', '__proto__', 'hasownproperty', 'to_string', 'valueof']) {
      const reply = await deliver(hook, name, payload);
      assert.equal(reply.status, 200, name);
      assert.match(reply.body.reason, /events do not trigger builds/, name);
    }
    assert.equal(hook.events.length, 0);
  });

  it('a delivery seen before is a duplicate; the handler is not called', async () => {
    const hook = await startHook({ seen: async () => true });
    const reply = await deliver(hook, 'push', branchPush(), { headers: { 'x-github-delivery': 'again' } });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, { status: 'duplicate', deliveryId: 'again' });
    assert.equal(hook.events.length, 0);
  });
});

describe('POST /v1/webhooks/github: authentication', () => {
  const unsigned = (hook: Hook, headers: Record<string, string>, raw = JSON.stringify(branchPush())) =>
    post(hook.url, { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), ...headers }, raw);

  it('refuses a missing, malformed, wrong-secret or other-bytes signature with 401 and handles nothing', async () => {
    const hook = await startHook();
    const raw = JSON.stringify(branchPush());
    const cases: [string, Record<string, string>][] = [
      ['missing', {}],
      ['empty', { 'x-hub-signature-256': '' }],
      ['sha1 only', { 'x-hub-signature': 'sha1=' + createHmac('sha1', SECRET).update(raw).digest('hex') }],
      ['no prefix', { 'x-hub-signature-256': sign(SECRET, raw).slice('sha256='.length) }],
      ['upper-case hex', { 'x-hub-signature-256': 'sha256=' + sign(SECRET, raw).slice(7).toUpperCase() }],
      ['wrong secret', { 'x-hub-signature-256': sign('not-the-secret', raw) }],
      ['re-serialised JSON', { 'x-hub-signature-256': sign(SECRET, JSON.stringify(JSON.parse(raw), null, 2)) }],
      ['one byte off', { 'x-hub-signature-256': sign(SECRET, raw + ' ') }],
      ['truncated', { 'x-hub-signature-256': sign(SECRET, raw).slice(0, -1) }],
    ];
    for (const [name, headers] of cases) {
      const reply = await unsigned(hook, headers, raw);
      assert.equal(reply.status, 401, name);
      assert.match(reply.body.error.code, /^(signature_required|bad_signature)$/, name);
    }
    assert.equal(hook.events.length, 0);
    assert.deepEqual(hook.seenIds, []);
  });

  it('a signed ping is refused too when the signature is wrong', async () => {
    const hook = await startHook();
    const reply = await deliver(hook, 'ping', example('ping'), { secret: 'nope' });
    assert.equal(reply.status, 401);
  });

  it('missing X-GitHub-Event or X-GitHub-Delivery is 400', async () => {
    const hook = await startHook();
    for (const drop of ['x-github-event', 'x-github-delivery']) {
      const raw = JSON.stringify(branchPush());
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'd', 'x-hub-signature-256': sign(SECRET, raw) };
      delete headers[drop];
      const reply = await post(hook.url, headers, raw);
      assert.equal(reply.status, 400, drop);
      assert.equal(reply.body.error.code, 'missing_headers');
    }
    assert.equal(hook.events.length, 0);
  });

  it('refuses to start without a secret', () => {
    const handle: TriggerHandler = async () => ({ status: 'queued', runs: [] });
    assert.throws(() => githubWebhookRouter({ secrets: [], handle, seen: async () => false }), /at least one secret/);
    assert.throws(() => githubWebhookRouter({ secrets: [''], handle, seen: async () => false }), /no empty one/);
  });
});

describe('POST /v1/webhooks/github: answering in time', () => {
  it('a slow handler gets 202 accepted before timeoutMs and finishes in the background', async () => {
    const release = deferred<void>();
    const hook = await startHook({
      timeoutMs: 200,
      handle: async (event) => {
        hook.events.push(event);
        await release.promise;
        return { status: 'queued', runs: ['run-late'] };
      },
    });
    const reply = await deliver(hook, 'push', branchPush(), { headers: { 'x-github-delivery': 'slow-1' } });
    assert.equal(reply.status, 202);
    assert.deepEqual(reply.body, { status: 'accepted', deliveryId: 'slow-1' });
    // Answered at the deadline, not when the handler finished (it has not yet).
    assert.ok(reply.ms >= 150 && reply.ms < 5000, `answered after ${reply.ms} ms`);
    assert.equal(hook.events.length, 1);
    release.resolve();
    await new Promise((r) => setTimeout(r, 20));
    const done = hook.logs.find((l) => l.msg === 'trigger handled in the background');
    assert.deepEqual((done?.fields as { outcome: unknown }).outcome, { status: 'queued', runs: ['run-late'] });
  });

  it('a slow handler that fails later is logged, not lost', async () => {
    const fail = deferred<never>();
    const hook = await startHook({ timeoutMs: 100, handle: () => fail.promise });
    assert.equal((await deliver(hook, 'push', branchPush())).status, 202);
    fail.reject(new Error('redis went away'));
    await new Promise((r) => setTimeout(r, 20));
    const logged = hook.logs.find((l) => l.level === 'error');
    assert.equal(logged?.msg, 'trigger handler failed in the background');
  });

  it('a hanging seen() counts against the same deadline', async () => {
    const hook = await startHook({ timeoutMs: 100, seen: () => new Promise(() => {}) });
    const reply = await deliver(hook, 'push', branchPush());
    assert.equal(reply.status, 202);
    assert.equal(hook.events.length, 0);
  });

  it('a handler failing fast: a Slipway error keeps its status, anything else is a logged 500', async () => {
    const down = await startHook({ handle: async () => Promise.reject(new UnavailableError('redis is down')) });
    const reply = await deliver(down, 'push', branchPush());
    assert.equal(reply.status, 503);
    assert.deepEqual(reply.body, { error: { code: 'unavailable', message: 'redis is down' } });

    const broken = await startHook({
      handle: () => {
        throw new TypeError('bug');
      },
    });
    const crash = await deliver(broken, 'push', branchPush());
    assert.equal(crash.status, 500);
    assert.equal(crash.body.error.code, 'internal');
    assert.doesNotMatch(JSON.stringify(crash.body), /bug/);
    assert.equal(broken.logs.filter((l) => l.level === 'error').length, 1);
  });
});

describe('POST /v1/webhooks/github: hostile and oversized input', () => {
  it('a body over 25 MB is 413, whether sent chunked or declared', async () => {
    const hook = await startHook();
    const big = Buffer.alloc(25 * 1024 * 1024 + 1, 0x20);
    const headers = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'big', 'x-hub-signature-256': sign(SECRET, big) };
    const chunked = await post(hook.url, { ...headers, 'transfer-encoding': 'chunked' }, big);
    assert.equal(chunked.status, 413);
    assert.equal(chunked.body.error.code, 'body_too_large');
    // Declared too large: answered from the headers, before the body is sent.
    const declared = await post(hook.url, headers, '{', big.length);
    assert.equal(declared.status, 413);
    assert.equal(declared.headers.connection, 'close');
    assert.equal(hook.events.length, 0);
  });

  it('maxBodyBytes lowers the limit; a signed body at the limit is read', async () => {
    const raw = JSON.stringify(branchPush());
    const tight = await startHook({ maxBodyBytes: raw.length - 1 });
    assert.equal((await deliver(tight, 'push', null, { raw })).status, 413);
    const exact = await startHook({ maxBodyBytes: raw.length });
    assert.equal((await deliver(exact, 'push', null, { raw })).status, 200);
  });

  it('signed junk is 400, never 500, and never reaches the handler', async () => {
    const hook = await startHook();
    const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    const cases: [string, string | Buffer, string][] = [
      ['not JSON', 'hello, world', 'invalid_json'],
      ['truncated JSON', JSON.stringify(branchPush()).slice(0, 100), 'invalid_json'],
      ['empty body', '', 'bad_signature'],
      ['JSON array', '[1,2,3]', 'invalid_payload'],
      ['JSON string', '"push"', 'invalid_payload'],
      ['JSON null', 'null', 'invalid_payload'],
      ['deeply nested object', deep(200_000), 'invalid_payload'],
      ['deeply nested array', '['.repeat(500_000) + ']'.repeat(500_000), 'invalid_payload'],
      ['deep junk inside a used field', JSON.stringify({ ...branchPush(), after: 'x' }).replace('"x"', deep(100_000)), 'invalid_payload'],
      ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'invalid_encoding'],
      ['a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(branchPush()))]), 'invalid_json'],
      ['a push without a repository', JSON.stringify({ ref: 'refs/heads/main', after: AFTER }), 'invalid_payload'],
    ];
    for (const [name, raw, code] of cases) {
      const reply = await deliver(hook, 'push', null, { raw });
      assert.ok(reply.status >= 400 && reply.status < 500, `${name}: ${reply.status}`);
      assert.equal(reply.body.error?.code, code, name);
    }
    assert.equal(hook.events.length, 0);
  });

  it('hostile headers are 4xx, never 500', async () => {
    const hook = await startHook();
    const raw = JSON.stringify(branchPush());
    const cases: [string, Record<string, string>, number][] = [
      ['event name with a path', { 'x-github-event': '../push' }, 400],
      ['event name too long', { 'x-github-event': 'a'.repeat(100) }, 400],
      ['delivery id with spaces', { 'x-github-delivery': 'a b' }, 400],
      ['delivery id too long', { 'x-github-delivery': 'a'.repeat(200) }, 400],
      ['form-encoded webhook', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
      ['gzip body', { 'content-encoding': 'gzip' }, 415],
      ['no content type', { 'content-type': '' }, 415],
      ['JSON with charset', { 'content-type': 'application/json; charset=utf-8' }, 200],
    ];
    for (const [name, headers, status] of cases) {
      const reply = await deliver(hook, 'push', null, { raw, headers });
      assert.equal(reply.status, status, `${name}: ${JSON.stringify(reply.body)}`);
    }
    const huge = await post(hook.url, { 'x-hub-signature-256': sign(SECRET, raw), 'x-padding': 'x'.repeat(64 * 1024) }, raw).catch((err: NodeJS.ErrnoException) => ({ status: err.code }));
    assert.ok(huge.status === 431 || huge.status === 'ECONNRESET', `huge headers: ${String(huge.status)}`);
    assert.equal(hook.events.length, 1, 'only the well-formed delivery with a charset was handled');
  });

  it('a JSON parser mounted ahead of the router is a logged 500 that says so, not a bypass', async () => {
    const logs: unknown[] = [];
    const app = express();
    app.use(express.json());
    const log = { info: () => {}, warn: () => {}, error: (...args: unknown[]) => void logs.push(args) };
    app.use(githubWebhookRouter({ secrets: [SECRET], handle: async () => assert.fail('handled'), seen: async () => false, log }));
    const { server, base } = await listenOnLoopback(app);
    servers.push(server);
    const hook = { url: `${base}/v1/webhooks/github` } as Hook;
    const reply = await deliver(hook, 'push', branchPush());
    assert.equal(reply.status, 500);
    assert.match(String((logs[0] as [{ err: Error }])[0].err.message), /before any body parser/);
  });
});
