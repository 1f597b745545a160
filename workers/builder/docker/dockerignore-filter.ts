// .dockerignore for contexts the worker sends itself (git checkouts): the Docker Engine does not apply it
// to a tar body, so excluded files are left out here, with Docker's semantics (@balena/dockerignore).
// `<Dockerfile>.dockerignore` wins over `.dockerignore`; the Dockerfile and ignore files are always sent.
import fs from 'node:fs/promises';
import path from 'node:path';
import { statSync } from 'node:fs';
import dockerignore from '@balena/dockerignore';

export async function dockerignoreFilter(contextDir: string, dockerfile: string): Promise<((file: string) => boolean) | undefined> {
  const candidates = [path.join(contextDir, `${dockerfile}.dockerignore`), path.join(contextDir, '.dockerignore')];
  let text: string | undefined;
  for (const file of candidates) {
    text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) break;
  }
  if (text === undefined) return undefined;
  const rules = dockerignore.default({ ignorecase: false }).add(text);
  // With exceptions (`!dir/keep`), an ignored directory must still be walked for what is let back in.
  const hasExceptions = /^\s*!/m.test(text);
  const keep = new Set([dockerfile, '.dockerignore', `${dockerfile}.dockerignore`]);
  return (file: string) => {
    const rel = path.relative(contextDir, file).split(path.sep).join('/');
    if (rel === '' || keep.has(rel)) return false;
    if (hasExceptions && statSync(file).isDirectory()) return false;
    return rules.ignores(rel);
  };
}
