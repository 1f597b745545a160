// Which push errors mean the registry is away, and how a push is retried within the run's time limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError, RegistryUnreachableError } from '../../workers/builder/image-builder.js';
import { isRegistryUnreachable, pushError } from '../../workers/builder/docker/push-errors.js';
import { pushWithRetry } from '../../workers/jobs/push-retry.js';

describe('push errors', () => {
  const cases: [string, boolean][] = [
    ['Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused', true],
    ['Put "http://reg:5000/v2/app/blobs/uploads/x": read tcp 1.2.3.4:1->5.6.7.8:5000: read: connection reset by peer', true],
    ['Get "https://nowhere.example/v2/": dial tcp: lookup nowhere.example: no such host', true],
    ['Get "https://reg/v2/": net/http: TLS handshake timeout', true],
    ['received unexpected HTTP status: 503 Service Unavailable', true],
    ['unauthorized: authentication required', false],
    ['denied: requested access to the resource is denied', false],
    ['manifest invalid: manifest invalid', false],
    ['name unknown: repository name not known to registry', false],
  ];
  for (const [message, unreachable] of cases) {
    it(`${unreachable ? 'away' : 'refused'}: ${message.slice(0, 60)}`, () => {
      assert.equal(isRegistryUnreachable(message), unreachable);
      const err = pushError('reg:5000/app:v1', 'reg:5000', message);
      assert.ok(unreachable ? err instanceof RegistryUnreachableError : err instanceof EngineError);
      if (unreachable) assert.match(err.message, /^registry reg:5000 unreachable while pushing reg:5000\/app:v1: /);
    });
  }
});

describe('pushWithRetry', () => {
  const away = () => new RegistryUnreachableError('reg:5000', 'registry reg:5000 unreachable');
  const signal = new AbortController().signal;

  it('pushes again until the registry answers', async () => {
    let attempts = 0;
    const lines: string[] = [];
    const digest = await pushWithRetry(
      async () => {
        if (++attempts < 3) throw away();
        return 'sha256:abc';
      },
      { deadline: Date.now() + 60_000, signal, log: (l) => lines.push(l), delaysMs: [10, 20] },
    );
    assert.equal(digest, 'sha256:abc');
    assert.equal(attempts, 3);
    assert.deepEqual(lines, ['slipway: registry reg:5000 unreachable; pushing again in 0.01 s', 'slipway: registry reg:5000 unreachable; pushing again in 0.02 s']);
  });

  it('gives up before the deadline with the registry named', async () => {
    let attempts = 0;
    const started = Date.now();
    await assert.rejects(
      pushWithRetry(
        async () => {
          attempts++;
          throw away();
        },
        { deadline: Date.now() + 3_500, signal, log: () => undefined, delaysMs: [100] },
      ),
      (err: unknown) => err instanceof RegistryUnreachableError && err.registry === 'reg:5000' && /gave up after \d+ attempts/.test(err.message),
    );
    assert.ok(attempts >= 3, `${attempts} attempts`);
    assert.ok(Date.now() - started < 3_500);
  });

  it('does not retry a push the registry refused', async () => {
    let attempts = 0;
    await assert.rejects(
      pushWithRetry(
        async () => {
          attempts++;
          throw new EngineError('push of x failed: denied');
        },
        { deadline: Date.now() + 60_000, signal, log: () => undefined, delaysMs: [10] },
      ),
      EngineError,
    );
    assert.equal(attempts, 1);
  });
});
