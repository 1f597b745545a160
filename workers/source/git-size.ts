// Bytes a directory tree takes (file sizes, symlinks not followed): what the repository size limit measures.
import fs from 'node:fs/promises';
import path from 'node:path';

export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(full);
    else total += await fs.lstat(full).then((s) => s.size, () => 0);
  }
  return total;
}
