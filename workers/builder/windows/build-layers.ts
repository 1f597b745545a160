// Turns the planned layers into gzip blobs: one per COPY/ADD from the context, and one for a WORKDIR only when
// nothing else makes that directory (Windows will not start a process in a directory that does not exist;
// Docker's builder commits a layer for every WORKDIR, we skip the ones the base or a COPY already create).
import { collectCopyEntries } from './context-sources.js';
import type { LayerPlan } from './evaluate.js';
import { compressLayer, writeWindowsLayer, type LayerEntry } from './layer-writer.js';
import { caseFoldKey, type WindowsPath } from './windows-paths.js';

export interface BuiltLayer {
  blob: Buffer;
  digest: string;
  diffId: string;
  size: number;
  files: number;
}

type CopyPlan = Extract<LayerPlan, { kind: 'copy' }>;

export async function buildCopyLayer(contextDir: string, plan: CopyPlan): Promise<{ layer: BuiltLayer; directories: Set<string> }> {
  const entries = await collectCopyEntries(contextDir, plan);
  const layer = await packLayer(entries);
  return { layer: { ...layer, files: entries.filter((e) => e.kind === 'file').length }, directories: directoriesOf(entries) };
}

/** True when neither the base's working directory nor any layer of this build makes `dir`. */
export function workdirLayerNeeded(dir: WindowsPath, baseWorkdir: WindowsPath, created: ReadonlySet<string>): boolean {
  if (dir.length === 0) return false;
  const key = caseFoldKey(dir);
  if (created.has(key)) return false;
  // The base's working directory exists, and so does every directory above it.
  return !(dir.length <= baseWorkdir.length && caseFoldKey(baseWorkdir.slice(0, dir.length)) === key);
}

export async function buildWorkdirLayer(dir: WindowsPath): Promise<BuiltLayer> {
  const layer = await packLayer([{ path: dir, kind: 'directory', mtime: new Date(0) }]);
  return { ...layer, files: 0 };
}

/** Every directory the entries put in a layer: the directories themselves and the parents of everything. */
export function directoriesOf(entries: readonly LayerEntry[]): Set<string> {
  const out = new Set<string>();
  for (const entry of entries) {
    const depth = entry.kind === 'directory' ? entry.path.length : entry.path.length - 1;
    for (let i = 1; i <= depth; i++) out.add(caseFoldKey(entry.path.slice(0, i)));
  }
  return out;
}

async function packLayer(entries: readonly LayerEntry[]): Promise<Omit<BuiltLayer, 'files'>> {
  return compressLayer(await writeWindowsLayer(entries));
}
