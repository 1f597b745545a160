// A build's own Dockerfile text in place of the context's file: the file's entry in the tar the Engine gets
// carries the text, so the context folder (the run's workspace, shared by steps running side by side) is
// never written. In its own place rather than under a name of its own: the Engine applies no .dockerignore to
// a tar body, so an added file would end up in every `COPY . …` of the build.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type tar from 'tar-fs';
import { EngineError } from '../image-builder.js';

type PackOptions = Pick<tar.PackOptions, 'map' | 'mapStream'>;

/** tar-fs pack options that give the entry of `dockerfile` (relative to `contextDir`) the content `text`. */
export async function dockerfileOverride(contextDir: string, dockerfile: string, text: string): Promise<PackOptions> {
  const stat = await fs.lstat(path.join(contextDir, dockerfile)).catch(() => undefined);
  // A link would be sent as a link, with nothing to put the text in.
  if (!stat?.isFile()) throw new EngineError(`the Dockerfile ${dockerfile} must be a file in the build context, not ${stat ? 'a symbolic link' : 'missing'}, for this build`);
  const name = path.posix.normalize(dockerfile.split(path.sep).join('/'));
  const content = Buffer.from(text, 'utf8');
  return {
    map: (header) => (header.type === 'file' && header.name === name ? { ...header, size: content.length } : header),
    mapStream: (stream, header) => {
      if (header.type !== 'file' || header.name !== name) return stream;
      (stream as unknown as Readable).destroy();
      return Readable.from([content]) as unknown as typeof stream;
    },
  };
}
