// How many objects a fetch added to a mirror, read from pack index headers rather than from git's
// progress output: with fetch.unpackLimit=1 every fetch writes exactly one pack and no loose objects.
import fs from 'node:fs/promises';
import path from 'node:path';

const IDX_V2_MAGIC = 0xff744f63; // "\377tOc"

/** Object count of every pack in the mirror, by pack file name. */
export async function packObjectCounts(mirror: string): Promise<Map<string, number>> {
  const dir = path.join(mirror, 'objects', 'pack');
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const counts = new Map<string, number>();
  for (const name of names.filter((n) => n.endsWith('.idx'))) {
    const count = await idxObjectCount(path.join(dir, name)).catch(() => undefined);
    if (count !== undefined) counts.set(name, count);
  }
  return counts;
}

/** Objects in the packs of `after` that were not in `before`. */
export function objectsAdded(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): number {
  let added = 0;
  for (const [name, count] of after) if (!before.has(name)) added += count;
  return added;
}

/** The last entry of the 256-entry fan-out table is the number of objects (index v1 and v2). */
async function idxObjectCount(file: string): Promise<number> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(8 + 256 * 4);
    await handle.read(head, 0, head.length, 0);
    const fanout = head.readUInt32BE(0) === IDX_V2_MAGIC ? 8 : 0;
    return head.readUInt32BE(fanout + 255 * 4);
  } finally {
    await handle.close();
  }
}
