// Builds gzipped tar archives in memory for tests, including hostile ones no packer would produce.
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { STORED_BUFFER_SIZE, StoredGzipFramer } from '../../src/cli/gzip-stored.js';

export interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
}

export async function tarGz(entries: Entry[]): Promise<Buffer> {
  return gzipSync(await tarBytes(entries));
}

/** The same, framed as the CLI sends a server on its own machine: stored blocks, marked as such. */
export async function storedTarGz(entries: Entry[]): Promise<Buffer> {
  return storedGzip([await tarBytes(entries)]);
}

/** `chunks`, one after the other, framed as the CLI's stored-block gzip: its buffers, concatenated. */
export function storedGzip(chunks: Buffer[]): Buffer {
  const payload = Buffer.concat(chunks);
  const framer = new StoredGzipFramer(payload.length);
  const out: Buffer[] = [framer.header];
  let at = 0;
  while (!framer.done) {
    for (const region of framer.next(Buffer.alloc(STORED_BUFFER_SIZE))) at += payload.copy(region, 0, at, at + region.length);
    out.push(framer.seal());
  }
  return Buffer.concat(out);
}

async function tarBytes(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = type === 'file' ? Buffer.from(e.content ?? '') : undefined;
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: e.name, type, linkname: e.linkname, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), size: body?.length ?? 0 }, body ?? '', (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A build context with a Dockerfile and files, as an archive. */
export function contextArchive(dockerfile: string, files: Record<string, string> = {}): Promise<Buffer> {
  return tarGz([{ name: 'Dockerfile', content: dockerfile }, ...Object.entries(files).map(([name, content]) => ({ name, content }))]);
}

/** A tar's entry names in order (directories with a trailing /) and its files' contents, as tar-stream reads them. */
export async function readTar(archive: Buffer): Promise<{ names: string[]; files: Map<string, Buffer> }> {
  const names: string[] = [];
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      names.push(entry.header.type === 'directory' ? `${entry.header.name}/` : entry.header.name);
      if (entry.header.type === 'file') files.set(entry.header.name, Buffer.concat(chunks));
    }
  })();
  extract.end(archive);
  await reading;
  return { names, files };
}
