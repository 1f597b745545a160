// Windows container paths as Dockerfiles write them (`C:\app`, `C:/app`, `\app`, `app`) and as Windows layers
// store them (`Files/app`). Paths are kept as segments below C:\; the rules follow moby's normalizeWorkdirWindows
// (builder/dockerfile/internals_windows.go) and BuildKit's CheckSystemDriveAndRemoveDriveLetter (util/system/path.go):
// only the C: drive, no UNC paths, `C:foo` is relative, `/` and `\` are both separators.

/** Segments of a path below C:\ — `[]` is C:\ itself. */
export type WindowsPath = readonly string[];

export class WindowsPathError extends Error {
  override name = 'WindowsPathError';
}

/** Resolves `input` against `base` (the working directory); `..` stops at C:\. Throws WindowsPathError. */
export function resolveWindowsPath(base: WindowsPath, input: string): WindowsPath {
  let rest = input.replace(/\//g, '\\');
  if (rest.startsWith('\\\\')) throw new WindowsPathError(`${quote(input)} is a UNC path; only paths on C: are supported`);
  const drive = /^([a-zA-Z]):/.exec(rest);
  if (drive) {
    if (drive[1]!.toUpperCase() !== 'C') throw new WindowsPathError(`${quote(input)} is on drive ${drive[1]!.toUpperCase()}:; a container has only C:`);
    rest = rest.slice(2);
    if (rest === '') throw new WindowsPathError(`${quote(input)} names no directory; write C:\\ for the root`);
  }
  const segments = rest.startsWith('\\') ? [] : [...base];
  for (const part of rest.split('\\')) {
    if (part === '' || part === '.') continue;
    if (part === '..') segments.pop();
    else segments.push(part);
  }
  for (const segment of segments) {
    const problem = windowsNameProblem(segment);
    if (problem) throw new WindowsPathError(`${quote(input)}: ${quote(segment)} ${problem}`);
  }
  return segments;
}

/** True when the path as written names a directory: a trailing separator, `.` at the end, or the root. */
export function namesDirectory(input: string): boolean {
  return /[\\/]$/.test(input) || /(^|[\\/])\.$/.test(input) || /^[a-zA-Z]:$/.test(input);
}

/** `C:\app\bin` — the form Docker writes into WorkingDir. */
export function formatWindowsPath(path: WindowsPath): string {
  return `C:\\${path.join('\\')}`;
}

/** Where the path lives inside a Windows layer tar: `Files/app/bin`. */
export function layerEntryName(path: WindowsPath): string {
  return ['Files', ...path].join('/');
}

/** Key under which NTFS (case-insensitive) sees two paths as the same file. */
export function caseFoldKey(path: WindowsPath): string {
  return path.map(foldCase).join('\\');
}

const RESERVED_DEVICE = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])(\..*)?$/i;

/** Why Windows (or the layer format) cannot hold a file of this name, or undefined. */
export function windowsNameProblem(name: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[<>:"|?*\\/\u0000-\u001f]/.test(name)) return 'contains a character Windows does not allow in file names (< > : " | ? * \\ / or a control character)';
  if (/[ .]$/.test(name)) return 'ends with a space or a dot, which Windows drops';
  if (RESERVED_DEVICE.test(name)) return 'is a reserved device name on Windows';
  // hcsshim's ociwclayer import treats `.wh.<name>` as "delete <name>" (pkg/ociwclayer/import.go).
  if (name.startsWith('.wh.')) return 'starts with .wh., which a Windows layer import reads as a deletion (whiteout)';
  return undefined;
}

function foldCase(text: string): string {
  // Character by character, like NTFS's upcase table: `ß` stays one character.
  return Array.from(text, (c) => {
    const upper = c.toUpperCase();
    return upper.length === c.length ? upper : c;
  }).join('');
}

function quote(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}
