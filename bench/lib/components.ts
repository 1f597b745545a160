// The steps Slipway adds around the Engine's build, timed in-process on the benchmark's own context, so
// the end-to-end phases can be split further: the CLI's pack, the API's validation of an upload, the
// worker's unpack into a workspace and its tar stream of that workspace to the Engine.
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-fs';
import { packContext } from '../../src/cli/context-pack.js';
import { loadConfig } from '../../src/config.js';
import { LocalContextStore } from '../../src/contexts/store.js';
import { unpackContext } from '../../workers/source/context.js';
import { median } from './stats.js';

export interface ComponentTimings {
  /** CLI: walk, tar, gzip and hash the context into a temporary file */
  packMs: number;
  /** gzipped size of the packed context */
  packedBytes: number;
  /** API: hash, count and validate an upload while writing it to the store */
  storeMs: number;
  /** worker: unpack the stored context into a fresh workspace */
  unpackMs: number;
  /** worker: tar the workspace as the Engine reads it (here into /dev/null) */
  tarMs: number;
}

export async function measureComponents(contextDir: string, scratch: string, samples = 5): Promise<ComponentTimings> {
  const limits = loadConfig().limits;
  const archiveLimits = { unpackedBytes: limits.unpackedBytes, entries: limits.contextEntries };
  const pack: number[] = [];
  const store: number[] = [];
  const unpack: number[] = [];
  const tarTimes: number[] = [];
  let packedBytes = 0;
  for (let i = 0; i < samples; i++) {
    let t = performance.now();
    const packed = await packContext(contextDir);
    pack.push(performance.now() - t);
    packedBytes = packed.size;
    try {
      const contexts = new LocalContextStore(path.join(scratch, `store-${i}`), limits.contextBytes, archiveLimits);
      t = performance.now();
      await contexts.put(createReadStream(packed.path), packed.digest);
      store.push(performance.now() - t);

      const dest = path.join(scratch, `unpack-${i}`);
      await fs.mkdir(dest);
      t = performance.now();
      await unpackContext(createReadStream(packed.path), dest, archiveLimits);
      unpack.push(performance.now() - t);

      t = performance.now();
      await pipeline(tar.pack(dest) as unknown as Readable, createWriteStream('/dev/null'));
      tarTimes.push(performance.now() - t);
    } finally {
      await packed.cleanup();
    }
  }
  const r = (xs: number[]) => Math.round(median(xs));
  return { packMs: r(pack), packedBytes, storeMs: r(store), unpackMs: r(unpack), tarMs: r(tarTimes) };
}
