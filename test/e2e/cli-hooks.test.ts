// `slipway hook …` against a real API and a real receiver on loopback: a hook made with a secret on stdin gets
// an event another part of Slipway published (publishEvent, as the quarantine code will call it), signed with
// that secret; `hook deliveries` shows it delivered, `hook redeliver` sends it again, `hook delete` stops it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { publishEvent } from '../../src/hooks/events.js';
import { verifyBody } from '../../src/hooks/signature.js';
import { createRedis } from '../../src/redis.js';
import { cliCommand } from '../support/entry.js';
import { HookReceiver } from '../support/hook-receiver.js';
import { ROOT, startTestStack, type TestStack } from '../support/stack.js';

const SECRET = 'cli-hook-secret-from-stdin-42';

describe('the CLI hook commands', () => {
  let stack: TestStack;
  const receiver = new HookReceiver();
  const redis = createRedis(process.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379', 'cli-hooks-test');

  function slipway(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const [program, ...first] = cliCommand();
    const child = spawn(program, [...first, ...args], { cwd: ROOT, env: stack.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(input);
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }

  before(async () => {
    await receiver.start();
    stack = await startTestStack({ worker: false, env: { SLIPWAY_HOOK_ALLOW_PRIVATE_HOSTS: '1' } });
  });
  after(async () => {
    await stack?.close();
    await receiver.stop();
    redis.disconnect();
  });

  it('creates, lists, shows deliveries, redelivers and deletes a hook', async () => {
    const bad = await slipway(['hook', 'create', 'q', '--url', receiver.url, '--events', 'image.quarantined,run.exploded']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--events "?run\.exploded"?: expected one of/);

    const made = await slipway(['hook', 'create', 'q', '--url', receiver.url, '--events', 'image.quarantined', '--secret-stdin'], `${SECRET}\n`);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout, '', 'a secret the user gave is not printed');
    const listed = await slipway(['hook', 'list']);
    assert.match(listed.stdout, /^NAME\s+URL\s+EVENTS/);
    assert.match(listed.stdout, new RegExp(`q\\s+${receiver.url.replaceAll('.', '\\.')}\\s+image\\.quarantined\\s+\\*`));
    assert.ok(!listed.stdout.includes(SECRET));

    const image = { name: '127.0.0.1:5000/app:v1', digest: `sha256:${'a'.repeat(64)}` };
    await publishEvent(redis, stack.prefix, { id: `quarantine-${image.digest}`, type: 'image.quarantined', data: { image, reason: 'CVE-2026-0001' } });
    // The same event again (a publisher retrying): one delivery.
    await publishEvent(redis, stack.prefix, { id: `quarantine-${image.digest}`, type: 'image.quarantined', data: { image, reason: 'CVE-2026-0001' } });
    const got = await receiver.next('image.quarantined', (r) => r.json.event === 'image.quarantined');
    assert.ok(verifyBody(SECRET, got.body, String(got.headers['x-hub-signature-256'])));
    assert.deepEqual(got.json.data.image, image);
    const id = String(got.headers['x-slipway-delivery']);

    const shown = JSON.parse((await slipway(['hook', 'deliveries', 'q', '-o', 'json'])).stdout);
    assert.equal(shown.length, 1);
    assert.equal(shown[0].id, id);
    assert.equal(shown[0].state, 'delivered');
    const table = await slipway(['hook', 'deliveries', 'q']);
    assert.match(table.stdout, new RegExp(`${id}\\s+image\\.quarantined\\s+delivered\\s+1\\s+HTTP 204`));

    const count = receiver.received.length;
    const again = await slipway(['hook', 'redeliver', 'q', id]);
    assert.equal(again.code, 0, again.stderr);
    const second = await receiver.next('the redelivery', (r) => r.headers['x-slipway-delivery'] === id, count);
    assert.equal(second.body, got.body);

    assert.equal((await slipway(['hook', 'delete', 'q'])).code, 0);
    const gone = await slipway(['hook', 'deliveries', 'q']);
    assert.equal(gone.code, 2, 'an API 4xx is exit 2, as for every command');
    assert.match(gone.stderr, /no hook named "q"/);
  });
});
