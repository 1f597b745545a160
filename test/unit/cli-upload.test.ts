// Getting a context onto a server that is a plain local HTTP server here: packed straight into the upload
// (no temporary file), the digest checked against the server's answer, the server's refusal shown as it
// said it, and an unchanged folder sent only once. The real API is exercised in test/e2e/cli-build.test.ts.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { SlipwayApi } from '../../src/cli/api-client.js';
import { gzipLevelFor, uploadContext } from '../../src/cli/context-upload.js';
import { ApiError, ApiUnreachableError, ProtocolError } from '../../src/cli/errors.js';
import { BadInputError } from '../../src/errors.js';
import { readTar } from '../support/archives.js';
import { deferred, within, type Deferred } from '../support/wait.js';
import { STORED_GZIP_HEADER } from '../../src/contexts/stored-gzip-header.js';

type Answer = (body: Buffer, digest: string) => { status: number; json: unknown };

let server: http.Server;
let api: SlipwayApi;
let answer: Answer;
let uploads: Buffer[];
let heads: string[];
/** Each upload's Content-Length header, or undefined when it came chunked. */
let lengths: (string | undefined)[];
/** Each upload's X-Slipway-Digest header, if it had one. */
let digestHeaders: (string | undefined)[];
let readSlowly: boolean;
/** Set: the server cuts the connection once the upload has begun, answering nothing. */
let dropAfterFirstChunk: boolean;
/** Set: the server stops reading after the first chunk until it resolves, and calls gateReached. */
let gate: Promise<void> | undefined;
let gateReached: () => void;
let aborted: number;
/** Resolves when the server sees an upload cut off. */
let abortSeen: Deferred;
let work: string;
let ctx: string;
const stderr = { text: '', write(t: string) { this.text += t; } };
const io = { stdout: { write: () => true }, stderr };

before(async () => {
  server = http.createServer((req, res) => {
    if (req.method === 'HEAD') {
      heads.push(req.url!);
      const known = uploads.some((u) => decodeURIComponent(req.url!).endsWith(sha(u)));
      return res.writeHead(known ? 200 : 404).end();
    }
    lengths.push(req.headers['content-length']);
    digestHeaders.push(req.headers['x-slipway-digest'] as string | undefined);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      if (dropAfterFirstChunk) {
        req.socket.destroy();
        return;
      }
      if (gate && chunks.length === 1) {
        req.pause();
        gate.then(() => req.resume());
        gateReached();
      }
      // A slow reader: the client's buffers are all out, waiting on the socket.
      if (readSlowly) {
        req.pause();
        setTimeout(() => req.resume(), 2);
      }
    });
    req.on('aborted', () => {
      aborted += 1;
      abortSeen.resolve();
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      uploads.push(body);
      const { status, json } = answer(body, sha(body));
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  api = new SlipwayApi(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-cli-upload-'));
  // The packer's temporary archives are looked for in TMPDIR: this file's own, since test files running
  // beside this one pack contexts too.
  process.env.TMPDIR = await fs.mkdtemp(path.join(work, 'tmp-'));
});
after(async () => {
  server.close();
  await fs.rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  uploads = [];
  heads = [];
  lengths = [];
  digestHeaders = [];
  readSlowly = false;
  dropAfterFirstChunk = false;
  gate = undefined;
  aborted = 0;
  abortSeen = deferred();
  stderr.text = '';
  answer = (body, digest) => ({ status: 201, json: { digest, size: body.length } });
  ctx = await fs.mkdtemp(path.join(work, 'ctx-'));
  await fs.writeFile(path.join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY a.txt /\n');
  await fs.writeFile(path.join(ctx, 'a.txt'), 'a'.repeat(100_000));
});

function sha(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

const upload = (cacheDir?: string) => uploadContext(api, ctx, { io, signal: new AbortController().signal, cacheDir });

describe('uploadContext', () => {
  it('streams a gzipped tar whose digest is the one submitted, leaving no temporary file', async () => {
    const tmpBefore = (await fs.readdir(os.tmpdir())).filter((n) => n.startsWith('slipway-context-'));
    const { digest, dockerfile } = await upload();
    assert.equal(uploads.length, 1);
    assert.equal(digest, sha(uploads[0]!));
    assert.equal(dockerfile, 'Dockerfile');
    assert.ok(gunzipSync(uploads[0]!).includes('a'.repeat(1000)), 'a tar with the file in it');
    assert.deepEqual(heads, [], 'nothing to ask before a streamed upload');
    const tmpAfter = (await fs.readdir(os.tmpdir())).filter((n) => n.startsWith('slipway-context-'));
    assert.deepEqual(tmpAfter, tmpBefore);
  });

  it('tells a server on this machine the length of its stored gzip up front, and sends exactly that', async () => {
    await fs.writeFile(path.join(ctx, 'b.bin'), Buffer.alloc(300_000, 7)); // several stored blocks and buffers
    await upload();
    assert.equal(lengths[0], String(uploads[0]!.length));
    assert.deepEqual(uploads[0]!.subarray(0, STORED_GZIP_HEADER.length), STORED_GZIP_HEADER);
    assert.ok(gunzipSync(uploads[0]!).includes(Buffer.alloc(300_000, 7)));
  });

  it('sends every byte right when the context is many times its buffers and the server reads slowly', async () => {
    const files = new Map<string, Buffer>();
    // More than the client's buffers and the socket hold together, so some wait on the server, in use.
    for (let i = 0; i < 4; i++) files.set(`blob-${i}.bin`, randomBytes(6_000_000 + i * 77_777));
    for (let i = 0; i < 300; i++) files.set(`small/${i}.txt`, randomBytes(i * 13));
    for (const [name, content] of files) {
      await fs.mkdir(path.dirname(path.join(ctx, name)), { recursive: true });
      await fs.writeFile(path.join(ctx, name), content);
    }
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    gateReached = () => setTimeout(release, 100);
    readSlowly = true;
    const { digest } = await upload();
    assert.equal(digest, sha(uploads[0]!));
    const received = (await readTar(gunzipSync(uploads[0]!))).files;
    for (const [name, content] of files) assert.ok(received.get(name)?.equals(content), `${name} arrived intact`);
  });

  it('fails the upload with the packing error, naming the file, when a file changes while it is being sent', async () => {
    // Far more than the client's buffers and the socket's hold: the packing waits on the server for it.
    await fs.writeFile(path.join(ctx, 'a-first.bin'), Buffer.alloc(32 * 1024 * 1024));
    await fs.writeFile(path.join(ctx, 'z-last.txt'), 'before');
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => (gateReached = resolve));
    const uploading = upload();
    await reached;
    await fs.writeFile(path.join(ctx, 'z-last.txt'), 'after it was listed, longer');
    release();
    await assert.rejects(uploading, (err: unknown) => {
      assert.ok(err instanceof BadInputError, String(err));
      assert.match(err.message, /z-last\.txt changed while the context was being packed; try again/);
      return true;
    });
    await within('the server seeing the upload cut off', 10_000, abortSeen.promise);
    assert.equal(uploads.length, 0, 'the server got no whole upload');
    assert.equal(aborted, 1, 'the upload was cut off');
  });

  it('says the connection broke, not that the packing was cut short, when the server drops an upload', async () => {
    await fs.writeFile(path.join(ctx, 'big.bin'), Buffer.alloc(8 * 1024 * 1024));
    dropAfterFirstChunk = true;
    await assert.rejects(upload(), (err: unknown) => {
      assert.ok(err instanceof ApiUnreachableError, String(err));
      assert.doesNotMatch(err.message, /premature close/i);
      return true;
    });
  });

  it('packs a context of more than 64 MiB to a temporary file first, asks the server, and then sends it with its length and digest', async () => {
    const big = path.join(ctx, 'sparse.bin');
    await fs.writeFile(big, '');
    await fs.truncate(big, 64 * 1024 * 1024 + 1); // past STREAM_MAX_BYTES, read back as zeros
    const tmpBefore = (await fs.readdir(os.tmpdir())).filter((n) => n.startsWith('slipway-context-'));
    const { digest } = await upload();
    assert.deepEqual(heads, [`/v1/contexts/${encodeURIComponent(digest)}`], 'asked first, by digest');
    assert.equal(uploads.length, 1);
    assert.equal(digest, sha(uploads[0]!));
    assert.equal(lengths[0], String(uploads[0]!.length));
    assert.equal(digestHeaders[0], digest);
    assert.match(stderr.text, /Packing context|Context: \d+ files/);
    // A second build of it: the server has it, so nothing is sent.
    heads = [];
    await upload();
    assert.equal(uploads.length, 1, 'not sent again');
    assert.match(stderr.text, /already has this context; skipping the upload/);
    const tmpAfter = (await fs.readdir(os.tmpdir())).filter((n) => n.startsWith('slipway-context-'));
    assert.deepEqual(tmpAfter, tmpBefore, 'the temporary archive is gone');
  });

  it("shows the server's refusal (413) as it said it", async () => {
    answer = () => ({ status: 413, json: { error: { code: 'context_too_large', message: 'build context is larger than the limit' } } });
    await assert.rejects(upload(), (err: unknown) => err instanceof ApiError && err.status === 413 && /larger than the limit/.test(err.message));
  });

  it('refuses a server that stored something else than was sent', async () => {
    answer = (body) => ({ status: 201, json: { digest: `sha256:${'0'.repeat(64)}`, size: body.length } });
    await assert.rejects(upload(), ProtocolError);
  });

  it('sends an unchanged folder once, then only asks whether the server still has it', async () => {
    const cacheDir = path.join(work, `cache-${path.basename(ctx)}`);
    const old = new Date(Date.now() - 60_000);
    for (const f of ['Dockerfile', 'a.txt']) await fs.utimes(path.join(ctx, f), old, old);
    await new Promise((r) => setTimeout(r, 250)); // past the racy window of the ctime utimes just set
    const first = await upload(cacheDir);
    const second = await upload(cacheDir);
    assert.equal(uploads.length, 1);
    assert.equal(second.digest, first.digest);
    assert.deepEqual(heads, [`/v1/contexts/${encodeURIComponent(first.digest)}`]);
    assert.match(stderr.text, /unchanged since the last build/);
  });

  it('uploads again when the server no longer has what the cache remembers', async () => {
    const cacheDir = path.join(work, `cache-${path.basename(ctx)}`);
    await new Promise((r) => setTimeout(r, 250));
    const first = await upload(cacheDir);
    uploads = []; // the server "lost" it
    const second = await upload(cacheDir);
    assert.equal(second.digest, first.digest);
    assert.equal(uploads.length, 1);
  });
});

describe('gzipLevelFor', () => {
  const cases: [string, number][] = [
    ['http://127.0.0.1:8080', 0],
    ['http://127.1.2.3', 0],
    ['http://localhost:8080', 0],
    ['http://[::1]:8080', 0],
    ['https://slipway.example.com', 1],
    ['http://10.0.0.5:8080', 1],
    ['http://127.0.0.1.example.com', 1],
  ];
  for (const [server, level] of cases) it(`${server} → ${level}`, () => assert.equal(gzipLevelFor(server), level));
});
