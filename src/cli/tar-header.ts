// Tar headers for the entries of a build context: the packer (context-tar.ts) sizes the whole archive
// before it reads a byte of content, then writes each header straight into its own buffers when it gets
// there. tar-stream, which the server reads archives with, keeps its encoder private to its stream.
//
// POSIX ustar (IEEE Std 1003.1, pax format): a 512-byte header per entry; what ustar cannot hold (a long
// or non-ASCII path or link target, a size of 8 GiB or more, a time before 1970) goes into a pax extended
// header ('x') in front of it. The numeric fields are written as tar-stream writes them, so an ordinary
// context packs to the same bytes, and so to the same digest, as it did with tar-stream.
import type { EntryHeader } from './context-walk.js';

export const TAR_BLOCK = 512;

/** The 12-byte numeric fields hold 11 octal digits. */
const MAX_OCTAL_11 = 0o77777777777;

const TYPEFLAG: Record<string, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};

/** The header block(s) of one entry: a pax extended header first when ustar's fields cannot say it all. */
export function encodeTarHeader(header: EntryHeader): Buffer {
  const { ustar, pax } = layout(header);
  const block = ustarBlock(ustar);
  if (pax === undefined) return block;
  const paxHeader = ustarBlock({ name: 'PaxHeader', prefix: '', mode: 0o644, size: pax.length, mtime: 0, typeflag: 'x', linkname: '' });
  return Buffer.concat([paxHeader, pax, Buffer.alloc(padding(pax.length)), block]);
}

/** How many bytes encodeTarHeader gives for `header`, without making them: a whole archive is sized first. */
export function tarHeaderLength(header: EntryHeader): number {
  const { pax } = layout(header);
  return pax === undefined ? TAR_BLOCK : 2 * TAR_BLOCK + pax.length + padding(pax.length);
}

/** The ustar fields of an entry, and the pax records for what they cannot hold (none: undefined). */
function layout(header: EntryHeader): { ustar: UstarFields; pax: Buffer | undefined } {
  const size = header.type === 'file' ? (header.size ?? 0) : 0;
  const mtime = Math.floor((header.mtime?.getTime() ?? 0) / 1000);
  const records: string[] = [];
  const path = splitPath(header.name);
  if (path === undefined) records.push(paxRecord('path', header.name));
  const linkname = header.linkname ?? '';
  const linkFits = isAscii(linkname) && linkname.length <= 100;
  if (!linkFits) records.push(paxRecord('linkpath', linkname));
  const sizeFits = size <= MAX_OCTAL_11;
  if (!sizeFits) records.push(paxRecord('size', String(size)));
  const mtimeFits = mtime >= 0 && mtime <= MAX_OCTAL_11;
  if (!mtimeFits) records.push(paxRecord('mtime', String(mtime)));
  const ustar = {
    name: path?.name ?? paxFallbackName(header.name),
    prefix: path?.prefix ?? '',
    mode: header.mode ?? (header.type === 'directory' ? 0o755 : 0o644),
    size: sizeFits ? size : 0,
    mtime: mtimeFits ? mtime : 0,
    typeflag: TYPEFLAG[header.type ?? 'file'] ?? '0',
    linkname: linkFits ? linkname : '',
  };
  return { ustar, pax: records.length === 0 ? undefined : Buffer.from(records.join(''), 'utf8') };
}

/** Zero bytes that bring `size` bytes of content up to a whole tar block. */
export function padding(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}

interface UstarFields {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
}

function ustarBlock(f: UstarFields): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  block.write(f.name, 0, 100, 'latin1');
  block.write(octal(f.mode & 0o7777, 6), 100, 'latin1');
  block.write(octal(0, 6), 108, 'latin1'); // uid: the local user's ids mean nothing on the server
  block.write(octal(0, 6), 116, 'latin1'); // gid
  block.write(octal(f.size, 11), 124, 'latin1');
  block.write(octal(f.mtime, 11), 136, 'latin1');
  block.write(f.typeflag, 156, 'latin1');
  block.write(f.linkname, 157, 100, 'latin1');
  block.write('ustar\u000000', 257, 'latin1');
  block.write(octal(0, 6), 329, 'latin1'); // devmajor
  block.write(octal(0, 6), 337, 'latin1'); // devminor
  block.write(f.prefix, 345, 155, 'latin1');
  // The checksum counts its own field as eight spaces.
  let sum = 8 * 0x20;
  for (let i = 0; i < TAR_BLOCK; i++) if (i < 148 || i >= 156) sum += block[i]!;
  block.write(octal(sum, 6), 148, 'latin1');
  return block;
}

/** `digits` octal digits, zero-padded, and a space; the field's last byte stays NUL. */
function octal(value: number, digits: number): string {
  return `${value.toString(8).padStart(digits, '0')} `;
}

/** ustar's name and prefix fields for a path, or undefined when only pax can carry it. */
function splitPath(name: string): { name: string; prefix: string } | undefined {
  if (!isAscii(name)) return undefined;
  if (name.length <= 100) return { name, prefix: '' };
  // The prefix is a leading run of whole directories, at most 155 bytes; the rest at most 100.
  for (let slash = name.indexOf('/'); slash !== -1 && slash <= 155; slash = name.indexOf('/', slash + 1)) {
    const rest = name.slice(slash + 1);
    if (rest.length <= 100 && rest.length > 0) return { prefix: name.slice(0, slash), name: rest };
  }
  return undefined;
}

/** What a reader that ignores pax sees as the name: the path cut to what fits, in ASCII. */
function paxFallbackName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').slice(-100);
}

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

/** One pax record, "<length> <key>=<value>\n", where the length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  let length = bytes + String(bytes).length;
  if (String(length).length !== String(bytes).length) length = bytes + String(length).length;
  return `${length}${body}`;
}
