// Malformed, hostile and oversized input to the API: each a clear 4xx that stores nothing, queues nothing
// and leaves no partial blob behind.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { apiFetch, postJson, uploadContext } from '../support/api.js';
import { contextArchive, storedTarGz, tarGz } from '../support/archives.js';
import { STORED_GZIP_HEADER } from '../../src/contexts/stored-gzip-header.js';
import { folderWith, runSlipway } from '../support/cli.js';
import { ROOT, startTestStack, type TestStack } from '../support/stack.js';

const MAX_CONTEXT = 64 * 1024;

describe('bad input to the API', () => {
  let stack: TestStack;
  let goodContext: string;
  before(async () => {
    stack = await startTestStack({ worker: false, env: { SLIPWAY_MAX_CONTEXT_BYTES: String(MAX_CONTEXT) } });
    goodContext = (await uploadContext(stack.url, await contextArchive('FROM scratch\n'))).body.digest;
  });
  after(async () => {
    await stack?.close();
  });

  async function storedBlobs(): Promise<string[]> {
    const dir = path.join(stack.dataDir, 'contexts');
    const list = async (d: string) => (await fs.readdir(path.join(dir, d)).catch(() => [] as string[])).map((f) => `${d}/${f}`);
    return [...(await list('sha256')), ...(await list('tmp'))].sort();
  }

  const hostileArchives: [string, () => Promise<Buffer>, RegExp][] = [
    ['bytes that are not gzip', async () => Buffer.from('this is not a tarball'), /gzip|archive/i],
    ['a truncated archive', async () => (await contextArchive('FROM scratch\n', { big: randomBytes(4096).toString('hex') })).subarray(0, 300), /truncat|unexpected end|archive|gzip/i],
    ['gzip of something that is not a tar', async () => gzipSync(Buffer.from('x'.repeat(2000))), /tar|archive/i],
    ['a tar-slip entry', () => tarGz([{ name: '../../etc/evil', content: 'x' }]), /\.\./],
    ['an absolute path', () => tarGz([{ name: '/etc/evil', content: 'x' }]), /absolute/i],
    ['a symlink pointing outside', () => tarGz([{ name: 'escape', type: 'symlink', linkname: '../../../etc/passwd' }]), /escape|outside/i],
    ['an absolute symlink', () => tarGz([{ name: 'escape', type: 'symlink', linkname: '/etc/passwd' }]), /escape|outside|absolute/i],
    ['a hard link pointing outside', () => tarGz([{ name: 'hard', type: 'link', linkname: '../outside' }]), /escape|outside|\.\./i],
    ['a device file', () => tarGz([{ name: 'dev', type: 'character-device' }]), /device|type/i],
    // The stored-block gzip the CLI sends a server on its own machine, read without zlib: the same checks.
    ['a tar-slip entry in the CLI\'s stored gzip', () => storedTarGz([{ name: '../../etc/evil', content: 'x' }]), /\.\./],
    ['the CLI\'s stored gzip with a damaged byte', async () => flipped(await storedTarGz([{ name: 'Dockerfile', content: 'FROM scratch\n' }]), STORED_GZIP_HEADER.length + 5 + 600), /CRC/],
    ['the CLI\'s stored gzip cut short', async () => (await storedTarGz([{ name: 'Dockerfile', content: 'FROM scratch\n' }])).subarray(0, 700), /cut short/],
  ];

  function flipped(archive: Buffer, at: number): Buffer {
    const out = Buffer.from(archive);
    out[at] = out[at]! ^ 0xff;
    return out;
  }

  for (const [what, make, message] of hostileArchives) {
    it(`refuses ${what} with 400 and keeps nothing`, async () => {
      const before = await storedBlobs();
      const res = await uploadContext(stack.url, await make());
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error.message, message);
      assert.deepEqual(await storedBlobs(), before);
    });
  }

  it('refuses an oversized context with 413 and keeps no partial blob', async () => {
    const before = await storedBlobs();
    const big = await tarGz([{ name: 'Dockerfile', content: 'FROM scratch\n' }, { name: 'noise', content: randomBytes(MAX_CONTEXT * 2) }]);
    const res = await uploadContext(stack.url, big);
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'context_too_large');
    assert.deepEqual(await storedBlobs(), before);
  });

  it('refuses an oversized context sent without a length (chunked) with 413', async () => {
    const before = await storedBlobs();
    const big = await tarGz([{ name: 'noise', content: randomBytes(MAX_CONTEXT * 2) }]);
    const body = new ReadableStream({
      start(c) {
        for (let i = 0; i < big.length; i += 8192) c.enqueue(big.subarray(i, i + 8192));
        c.close();
      },
    });
    const res = await apiFetch(`${stack.url}/v1/contexts`, { method: 'POST', headers: { 'content-type': 'application/gzip' }, body, duplex: 'half' } as RequestInit);
    assert.equal(res.status, 413);
    assert.deepEqual(await storedBlobs(), before);
  });

  it('tells `slipway build` of an oversized folder before it sends it, and the CLI says what to do', async () => {
    const before = await storedBlobs();
    const dir = await folderWith({ Dockerfile: 'FROM scratch\n', 'noise.bin': randomBytes(MAX_CONTEXT * 4).toString('latin1') });
    try {
      const res = await runSlipway(['build', '-t', 'too/big:v1', '--no-wait', dir], { cwd: ROOT, env: { ...process.env, SLIPWAY_SERVER: stack.url, SLIPWAY_TOKEN: stack.token, SLIPWAY_CACHE_DIR: path.join(dir, '.cache') } });
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, new RegExp(`over the limit of ${MAX_CONTEXT}; shrink it with a \\.dockerignore`));
      assert.doesNotMatch(res.stderr, /Run ID/);
      assert.deepEqual(await storedBlobs(), before);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an upload whose digest does not match what the client said', async () => {
    const archive = await contextArchive('FROM scratch\n', { x: 'y' });
    const res = await apiFetch(`${stack.url}/v1/contexts`, { method: 'POST', headers: { 'x-slipway-digest': `sha256:${'a'.repeat(64)}` }, body: new Uint8Array(archive) });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, 'digest_mismatch');
  });

  const badRuns: [string, Record<string, unknown>, number, string, RegExp][] = [
    ['an invalid image reference', { images: ['UPPER/Case:v1'] }, 400, 'invalid_reference', /UPPER\/Case/],
    ['an image with an empty tag', { images: ['app:'] }, 400, 'invalid_reference', /app:/],
    ['an image named by digest', { images: [`app@sha256:${'a'.repeat(64)}`] }, 400, 'invalid_reference', /digest/],
    ['an unknown platform', { images: ['app:v1'], platform: 'plan9/mips' }, 400, 'unsupported_platform', /plan9\/mips/],
    ['a malformed platform', { images: ['app:v1'], platform: 'linux//amd64' }, 400, 'invalid_platform', /os\/arch/],
    ['no image and no noPush', {}, 400, 'no_images', /noPush/],
    ['a Dockerfile outside the context', { images: ['app:v1'], dockerfile: '../Dockerfile' }, 400, 'invalid_dockerfile', /inside the build context/],
    ['a bad build-arg name', { images: ['app:v1'], buildArgs: { 'A B': 'x' } }, 400, 'invalid_body', /buildArgs/],
    ['an unknown field', { images: ['app:v1'], bogus: true }, 400, 'invalid_body', /bogus/],
    ['a negative timeout', { images: ['app:v1'], timeoutSeconds: -1 }, 400, 'invalid_body', /timeoutSeconds/],
    ['a timeout over the limit', { images: ['app:v1'], timeoutSeconds: 999_999 }, 400, 'invalid_timeout', /over the limit/],
    ['too many images', { images: Array.from({ length: 51 }, (_, i) => `app:v${i}`) }, 400, 'invalid_body', /images/],
  ];

  for (const [what, body, status, code, message] of badRuns) {
    it(`answers ${status} ${code} to a run with ${what}, and queues nothing`, async () => {
      const before = await (await apiFetch(`${stack.url}/v1/runs?top=1000`)).json();
      const res = await postJson(`${stack.url}/v1/runs`, { context: goodContext, ...body });
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.error.code, code);
      assert.match(res.body.error.message, message);
      const afterList = await (await apiFetch(`${stack.url}/v1/runs?top=1000`)).json();
      assert.equal(afterList.runs.length, before.runs.length);
    });
  }

  it('answers 400 to a run naming a context that was never uploaded', async () => {
    const res = await postJson(`${stack.url}/v1/runs`, { context: `sha256:${'b'.repeat(64)}`, images: ['app:v1'] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'unknown_context');
  });

  it('answers 400 to a body that is not JSON and 415 to one that is not declared JSON', async () => {
    const bad = await apiFetch(`${stack.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"context":' });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, 'invalid_json');
    const plain = await apiFetch(`${stack.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    assert.equal(plain.status, 415);
  });

  it('answers 413 to an oversized run request', async () => {
    const res = await postJson(`${stack.url}/v1/runs`, { context: goodContext, images: ['app:v1'], buildArgs: { A: 'x'.repeat(2 * 1024 * 1024) } });
    assert.equal(res.status, 413);
  });

  it('answers 404 with a JSON error for unknown runs and routes', async () => {
    const run = await apiFetch(`${stack.url}/v1/runs/r0000zzz`);
    assert.equal(run.status, 404);
    assert.equal((await run.json()).error.code, 'run_not_found');
    const route = await apiFetch(`${stack.url}/v2/whatever`);
    assert.equal(route.status, 404);
    assert.equal((await route.json()).error.code, 'route_not_found');
  });

  it('refuses a malformed Last-Event-ID', async () => {
    const { body } = await postJson(`${stack.url}/v1/runs`, { context: goodContext, noPush: true });
    const res = await apiFetch(`${stack.url}/v1/runs/${body.id}/logs?follow=1`, { headers: { 'last-event-id': 'DROP TABLE' } });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, 'invalid_event_id');
  });
});
