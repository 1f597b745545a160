// Git mirrors over their budget are evicted least recently used first (a checkout sets its mirror's mtime).
// Each is removed under the mirror's own lock, the one every checkout holds (source/git-lock.ts), so a
// mirror being fetched or checked out is never taken away; one that is busy, or used since it was
// measured, is skipped and waits for the next pass.
import fs from 'node:fs/promises';
import path from 'node:path';
import { MirrorLocks } from '../source/git-lock.js';
import { mirrorLockFile } from '../source/git-mirror.js';
import { directoryBytes } from '../source/git-size.js';

export interface MirrorEviction {
  /** Bytes the mirrors take after the pass. */
  bytes: number;
  evicted: number;
  evictedBytes: number;
}

interface Mirror {
  dir: string;
  usedAt: number;
  bytes: number;
}

/** How long the janitor waits for a mirror's lock before it counts the mirror as in use. */
const LOCK_WAIT_MS = 1_000;

export async function evictMirrors(mirrorsDir: string, budgetBytes: number, locks = new MirrorLocks()): Promise<MirrorEviction> {
  const mirrors = await listMirrors(mirrorsDir);
  let bytes = mirrors.reduce((sum, m) => sum + m.bytes, 0);
  const result: MirrorEviction = { bytes, evicted: 0, evictedBytes: 0 };
  for (const mirror of mirrors.sort((a, b) => a.usedAt - b.usedAt)) {
    if (bytes <= budgetBytes) break;
    if (await evict(mirror, locks)) {
      bytes -= mirror.bytes;
      result.evicted++;
      result.evictedBytes += mirror.bytes;
    }
  }
  result.bytes = bytes;
  return result;
}

/** Removes a mirror nobody holds nor used since it was listed; false when it stays. */
async function evict(mirror: Mirror, locks: MirrorLocks): Promise<boolean> {
  let release: () => Promise<void>;
  try {
    release = await locks.acquire(mirrorLockFile(mirror.dir), { signal: AbortSignal.timeout(LOCK_WAIT_MS) });
  } catch {
    return false;
  }
  try {
    const now = await fs.stat(mirror.dir).catch(() => undefined);
    if (now && now.mtimeMs > mirror.usedAt) return false;
    await fs.rm(mirror.dir, { recursive: true, force: true });
    return true;
  } finally {
    await release();
  }
}

async function listMirrors(mirrorsDir: string): Promise<Mirror[]> {
  const entries = await fs.readdir(mirrorsDir, { withFileTypes: true }).catch(() => []);
  const mirrors: Mirror[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !entry.name.endsWith('.git')) continue;
    const dir = path.join(mirrorsDir, entry.name);
    const stat = await fs.stat(dir).catch(() => undefined);
    if (stat) mirrors.push({ dir, usedAt: stat.mtimeMs, bytes: await directoryBytes(dir) });
  }
  return mirrors;
}
