// The Dockerfile text a build step sends in place of the context's file: the tar the Engine gets carries the
// new text under the file's own name, every other entry as it is, and the folder on disk is never written.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-fs';
import { dockerfileOverride } from '../../workers/builder/docker/dockerfile-override.js';
import { EngineError } from '../../workers/builder/image-builder.js';
import { readTar } from '../support/archives.js';

async function pack(dir: string, opts: tar.PackOptions): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of tar.pack(dir, opts)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('dockerfileOverride', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-override-'));
    await fs.mkdir(path.join(dir, 'sub'));
    await fs.writeFile(path.join(dir, 'sub', 'app.Dockerfile'), 'FROM 127.0.0.1:5000/x/base:r1\nRUN true\n');
    await fs.writeFile(path.join(dir, 'Dockerfile'), 'FROM busybox\n');
    await fs.writeFile(path.join(dir, 'data.txt'), 'data\n');
    await fs.symlink('Dockerfile', path.join(dir, 'link.Dockerfile'));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('sends the new text under the Dockerfile name, a longer text whole, everything else as it is', async () => {
    const text = 'FROM slipway-run/p-r1:0123456789abcdef0123456789abcdef\nRUN true\n';
    const { names, files } = await readTar(await pack(dir, await dockerfileOverride(dir, 'sub/app.Dockerfile', text)));
    assert.equal(files.get('sub/app.Dockerfile')?.toString(), text);
    assert.equal(files.get('Dockerfile')?.toString(), 'FROM busybox\n');
    assert.equal(files.get('data.txt')?.toString(), 'data\n');
    assert.deepEqual(names.filter((n) => n.includes('Dockerfile')).sort(), ['Dockerfile', 'link.Dockerfile', 'sub/app.Dockerfile']);
    assert.equal(await fs.readFile(path.join(dir, 'sub', 'app.Dockerfile'), 'utf8'), 'FROM 127.0.0.1:5000/x/base:r1\nRUN true\n', 'the folder is not written');
  });

  it('a shorter text is sent whole, with nothing of the file after it', async () => {
    const { files } = await readTar(await pack(dir, await dockerfileOverride(dir, 'sub/app.Dockerfile', 'FROM x\n')));
    assert.equal(files.get('sub/app.Dockerfile')?.toString(), 'FROM x\n');
  });

  it('refuses a Dockerfile that is a symbolic link, which the tar would carry as a link', async () => {
    await assert.rejects(dockerfileOverride(dir, 'link.Dockerfile', 'FROM x\n'), (err) => err instanceof EngineError && /symbolic link/.test(err.message));
  });
});
