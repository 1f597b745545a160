// Writes a layer in the Windows layer format that hcsshim imports (pkg/ociwclayer/import.go → go-winio
// backuptar.FileInfoFromHeader → internal/wclayer legacy writer):
//   - every path is below `Files/` (C:\) — `Hives/` holds registry deltas, empty here; both are directory entries;
//   - each parent directory has its own entry before its children (the writer creates files with FILE_CREATE
//     in a directory that must already exist); no path appears twice, as NTFS sees names (case-insensitive);
//   - PAX record MSWINDOWS.fileattr: Win32 attributes in decimal (16 DIRECTORY, 32 ARCHIVE), and
//     MSWINDOWS.rawsd: a base64 self-relative security descriptor — go-containerregistry's crane append
//     (internal/windows/windows.go) gives every entry owner and group BUILTIN\Users so binaries can run.
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import tar from 'tar-stream';
import { digestOf } from '../../../src/registry/digest.js';
import { caseFoldKey, layerEntryName, type WindowsPath } from './windows-paths.js';

export interface LayerEntry {
  path: WindowsPath;
  kind: 'file' | 'directory';
  mtime: Date;
  /** A file's bytes: from `source` on disk, else `data`. */
  size?: number;
  source?: string;
  data?: Buffer;
}

export const FILE_ATTRIBUTE_DIRECTORY = 0x10;
export const FILE_ATTRIBUTE_ARCHIVE = 0x20;

export interface WindowsLayerOptions {
  /** MSWINDOWS.rawsd of every entry below Files/; null writes none (the files inherit their parent's ACL). */
  securityDescriptor?: Buffer | null;
  /** Time of directories the entries did not bring (parents, Files/, Hives/). Default: the Unix epoch. */
  mtime?: Date;
}

export class LayerConflictError extends Error {
  override name = 'LayerConflictError';
}

type PaxHeaders = Partial<tar.Header> & { name: string; pax: Record<string, string> };

/** The uncompressed layer tar. Later entries for the same file replace earlier ones, as later COPY sources do. */
export async function writeWindowsLayer(entries: readonly LayerEntry[], opts: WindowsLayerOptions = {}): Promise<Buffer> {
  const sd = opts.securityDescriptor === undefined ? builtinUsersSecurityDescriptor() : opts.securityDescriptor;
  const mtime = opts.mtime ?? new Date(0);
  const tree = buildTree(entries, mtime);
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk) => {
    chunks.push(chunk as Buffer);
  });
  const finished = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const root of ['Files', 'Hives']) await addEntry(pack, directoryHeader(root, mtime, undefined));
  for (const node of tree) {
    const name = layerEntryName(node.path);
    if (node.kind === 'directory') await addEntry(pack, directoryHeader(name, node.mtime, sd));
    else await addFile(pack, name, node, sd);
  }
  pack.finalize();
  await finished;
  return Buffer.concat(chunks);
}

/** The gzip blob of a layer tar, its digest (what the manifest names) and diff_id (what the config lists). */
export async function compressLayer(layerTar: Buffer): Promise<{ blob: Buffer; digest: string; diffId: string; size: number }> {
  const blob = await promisify(gzip)(layerTar);
  return { blob, digest: digestOf(blob), diffId: digestOf(layerTar), size: blob.length };
}

/**
 * O:BUG:BU — a self-relative SECURITY_DESCRIPTOR (revision 1, control SE_SELF_RELATIVE, no DACL or SACL) whose
 * owner and group are both S-1-5-32-545 (BUILTIN\Users); the same descriptor crane append writes.
 */
export function builtinUsersSecurityDescriptor(): Buffer {
  const sid = Buffer.alloc(16);
  sid.writeUInt8(1, 0); // SID revision
  sid.writeUInt8(2, 1); // sub-authority count
  sid.writeUIntBE(5, 2, 6); // SECURITY_NT_AUTHORITY
  sid.writeUInt32LE(32, 8); // SECURITY_BUILTIN_DOMAIN_RID
  sid.writeUInt32LE(545, 12); // DOMAIN_ALIAS_RID_USERS
  const header = Buffer.alloc(20);
  header.writeUInt8(1, 0);
  header.writeUInt16LE(0x8000, 2); // SE_SELF_RELATIVE
  header.writeUInt32LE(20, 4); // owner right after the header
  header.writeUInt32LE(36, 8); // group after the owner
  return Buffer.concat([header, sid, sid]);
}

interface TreeNode extends LayerEntry {
  children: Map<string, TreeNode>;
}

/** Entries in writing order: parents first, siblings by name; implicit parents added, duplicates merged. */
function buildTree(entries: readonly LayerEntry[], mtime: Date): TreeNode[] {
  const root: TreeNode = { path: [], kind: 'directory', mtime, children: new Map() };
  for (const entry of entries) {
    let parent = root;
    for (let depth = 1; depth < entry.path.length; depth++) {
      const key = caseFoldKey([entry.path[depth - 1]!]);
      let node = parent.children.get(key);
      if (!node) {
        node = { path: [...parent.path, entry.path[depth - 1]!], kind: 'directory', mtime, children: new Map() };
        parent.children.set(key, node);
      } else if (node.kind !== 'directory') {
        throw new LayerConflictError(`C:\\${node.path.join('\\')} is a file, but C:\\${entry.path.join('\\')} needs it to be a directory`);
      }
      parent = node;
    }
    if (entry.path.length === 0) continue; // C:\ itself is the Files/ entry
    const key = caseFoldKey([entry.path.at(-1)!]);
    const existing = parent.children.get(key);
    if (existing && existing.kind !== entry.kind) {
      throw new LayerConflictError(`C:\\${entry.path.join('\\')} is written both as a file and as a directory`);
    }
    if (existing && entry.kind === 'directory') existing.mtime = entry.mtime;
    // The spelling NTFS keeps is the first one; children follow their parent's.
    else parent.children.set(key, { ...entry, path: existing?.path ?? [...parent.path, entry.path.at(-1)!], children: new Map() });
  }
  const ordered: TreeNode[] = [];
  const visit = (node: TreeNode) => {
    for (const child of [...node.children.values()].sort((a, b) => compare(a.path.at(-1)!, b.path.at(-1)!))) {
      ordered.push(child);
      visit(child);
    }
  };
  visit(root);
  return ordered;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function directoryHeader(name: string, mtime: Date, sd: Buffer | null | undefined): PaxHeaders {
  return { name, type: 'directory', mode: 0o755, mtime, size: 0, pax: paxRecords(FILE_ATTRIBUTE_DIRECTORY, sd) };
}

function paxRecords(attributes: number, sd: Buffer | null | undefined): Record<string, string> {
  const records: Record<string, string> = { 'MSWINDOWS.fileattr': String(attributes) };
  if (sd) records['MSWINDOWS.rawsd'] = sd.toString('base64');
  return records;
}

function addEntry(pack: tar.Pack, header: PaxHeaders, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, body ?? '', (err) => (err ? reject(err) : resolve())));
}

async function addFile(pack: tar.Pack, name: string, node: TreeNode, sd: Buffer | null): Promise<void> {
  const header: PaxHeaders = { name, type: 'file', mode: 0o644, mtime: node.mtime, size: 0, pax: paxRecords(FILE_ATTRIBUTE_ARCHIVE, sd) };
  if (node.source === undefined) {
    const data = node.data ?? Buffer.alloc(0);
    return addEntry(pack, { ...header, size: data.length }, data);
  }
  const size = node.size ?? 0;
  let sink: ReturnType<tar.Pack['entry']> | undefined;
  const written = new Promise<void>((resolve, reject) => {
    // tar-stream fails the entry when fewer or more than `size` bytes arrive (the file changed meanwhile).
    sink = pack.entry({ ...header, size }, (err) => (err ? reject(err) : resolve()));
  });
  try {
    for await (const chunk of createReadStream(node.source)) {
      if (!sink!.write(chunk as Buffer)) await once(sink!, 'drain');
    }
    sink!.end(undefined);
  } catch (err) {
    sink!.destroy(err as Error);
    throw err;
  }
  await written;
}
