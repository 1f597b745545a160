// The build contexts the benchmarks build: a small but real application (busybox base, some MB of
// COPY'd sources and assets, two RUN steps, one of which writes a few MB), fresh random content per
// context so that no two contexts share a BuildKit cache entry or a registry blob past the base image.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BASE_IMAGE } from '../../test/support/stack.js';

const SOURCE_FILES = 4;
const SOURCE_BYTES = 512 * 1024;
const ASSET_BYTES = 2 * 1024 * 1024;
const GENERATED_BYTES = 3 * 1024 * 1024;

export const APP_DOCKERFILE = `FROM ${BASE_IMAGE}
COPY nonce.txt /app/nonce.txt
COPY src/ /app/src/
COPY assets/ /app/assets/
RUN cat /app/nonce.txt /app/src/*.txt | sha256sum > /app/src.sha256 && wc -c /app/assets/blob.bin
RUN mkdir -p /app/gen && head -c ${GENERATED_BYTES} /dev/urandom > /app/gen/data.bin && ls -l /app/gen
CMD ["sh", "-c", "cat /app/src.sha256"]
`;

export interface AppContext {
  dir: string;
  nonce: string;
  /** Bytes of the files in the context (before any compression). */
  bytes: number;
}

/** Writes a fresh application context into `dir` (created if missing). */
export async function writeAppContext(dir: string): Promise<AppContext> {
  const nonce = randomBytes(16).toString('hex');
  await fs.mkdir(path.join(dir, 'src'), { recursive: true });
  await fs.mkdir(path.join(dir, 'assets'), { recursive: true });
  const files: [string, string | Buffer][] = [
    ['Dockerfile', APP_DOCKERFILE],
    ['nonce.txt', `${nonce}\n`],
    ['assets/blob.bin', randomBytes(ASSET_BYTES)],
  ];
  // Source-like text: compresses to about three quarters, as base64 of random bytes does.
  for (let i = 1; i <= SOURCE_FILES; i++) files.push([`src/module-${i}.txt`, sourceText(SOURCE_BYTES)]);
  let bytes = 0;
  for (const [name, content] of files) {
    await fs.writeFile(path.join(dir, name), content);
    bytes += Buffer.byteLength(content);
  }
  return { dir, nonce, bytes };
}

function sourceText(size: number): string {
  const text = randomBytes(Math.ceil((size * 3) / 4)).toString('base64').slice(0, size);
  return text.replace(/(.{99})/g, '$1\n');
}

/** The smallest build that still goes through BuildKit: nothing to pull, one COPY, cached after the first run. */
export const TRIVIAL_DOCKERFILE = 'FROM scratch\nCOPY hello.txt /hello.txt\n';
