// The one way a reader of an unpacked context or a checkout follows a path that may hold symlinks: each link
// is followed as the kernel would, but inside the tree (resolveLink), so no chain of links can lead a worker
// to read its own files. Synchronous: a few readlink calls, made by job processes.
import { readlinkSync } from 'node:fs';
import path from 'node:path';
import { resolveLink } from './link-resolution.js';

/** The host path `rel` leads to inside `root`, every symlink followed; undefined when it leaves the root. */
export function resolveInside(root: string, rel: string): string | undefined {
  const readLink = (p: string): string | undefined => {
    try {
      return readlinkSync(path.join(root, p));
    } catch {
      // Not a link (EINVAL), or not there yet (ENOENT): a plain component.
      return undefined;
    }
  };
  const resolved = resolveLink('', rel.split(path.sep).join('/'), readLink);
  return resolved.ok ? path.join(root, resolved.path) : undefined;
}
