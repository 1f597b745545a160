// An upload whose symlinks lead out of the context only as a chain (each link alone stays inside) is refused
// by the API, and nothing of it is stored.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { apiFetch, uploadContext } from '../support/api.js';
import { tarGz } from '../support/archives.js';
import { startTestStack, type TestStack } from '../support/stack.js';

describe('symlink chains in an upload', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ worker: false });
  });
  after(() => stack?.close());

  it('refuses d0/…/d11/s1 → ../×12 followed by s2 → s1/../×12, and stores nothing', async () => {
    const deep = Array.from({ length: 12 }, (_, i) => `d${i}`).join('/');
    const up12 = Array(12).fill('..').join('/');
    const archive = await tarGz([
      { name: 'Dockerfile', content: 'FROM scratch\nCOPY . /\n' },
      { name: `${deep}/`, type: 'directory' },
      { name: `${deep}/s1`, type: 'symlink', linkname: up12 },
      { name: `${deep}/s2`, type: 'symlink', linkname: `s1/${up12}` },
    ]);
    const digest = `sha256:${createHash('sha256').update(archive).digest('hex')}`;
    const res = await uploadContext(stack.url, archive);
    assert.ok(res.status === 400 || res.status === 422, `${res.status} ${JSON.stringify(res.body)}`);
    assert.match(res.body.error.message, /symlink ".*\/d11\/s2" points to .*outside the build context/);
    const stored = await apiFetch(`${stack.url}/v1/contexts/${digest}`, { method: 'HEAD' });
    assert.equal(stored.status, 404, 'the refused upload is not stored');
  });
});
