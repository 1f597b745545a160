// Checks on a task file's text that run before the YAML parser sees it: the parser recurses per nesting level
// and a few hundred kilobytes of `[` cost it seconds of one event loop (then a crash), so size, characters and
// nesting are measured first, each in one linear pass.
import type { IssueList } from './errors.js';
import { TASK_FILE_LIMITS } from './limits.js';
import type { LinePositions } from './positions.js';

/**
 * The text of a task file given as bytes: UTF-8 only, as YAML requires. Undefined (with an issue at the first
 * bad byte) when the bytes are not UTF-8.
 */
export function decodeTaskFile(bytes: Uint8Array, issues: IssueList): string | undefined {
  if (bytes.length > TASK_FILE_LIMITS.bytes) {
    issues.add({ line: 1, column: 1 }, `the task file is larger than ${TASK_FILE_LIMITS.bytes} bytes`);
    return undefined;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Decode the valid prefix to say where the first bad byte is.
    const bad = firstInvalidUtf8(bytes);
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, bad));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    issues.add({ line, column }, `the task file is not UTF-8 (byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at offset ${bad}); save it as UTF-8`);
    return undefined;
  }
}

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const strict = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = bytes.length;
  // Binary search on the longest prefix that decodes (a prefix cut inside a sequence is retried shorter).
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      strict.decode(bytes.subarray(0, mid));
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}

/**
 * Characters YAML does not allow in a stream (its c-printable set: no C0 controls but tab, LF and CR, no DEL,
 * no C1 controls but NEL, no lone surrogates, no U+FFFE/U+FFFF). NUL is the one editors and tools produce.
 */
const NOT_PRINTABLE = /[\0-\x08\x0B\x0C\x0E-\x1F\x7F\x80-\x84\x86-\x9F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function checkCharacters(text: string, issues: IssueList, positions: LinePositions): void {
  const bad = NOT_PRINTABLE.exec(text);
  if (!bad) return;
  const code = bad[0].codePointAt(0)!;
  const name = code === 0 ? 'a NUL character' : `the character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  issues.add(positions.at(bad.index), `the file contains ${name}, which YAML does not allow`);
}

/**
 * Where the YAML's nesting first goes past `max` levels, or -1. An estimate from the text alone that never
 * counts fewer levels than the parser would build within a factor of two (a block sequence at its key's own
 * indentation shares the key's level here), and may count a few more: indentation levels, `- `, `? ` and `: `
 * indicators on one line, and `[`/`{` inside flow collections. Quoted scalars, comments and block scalars
 * (`|`, `>`) are skipped, so brackets in a shell command do not count.
 */
export function findDeepNesting(text: string, max: number): number {
  const indents: number[] = [];
  let flow = 0;
  let blockScalarParent = -1;
  let i = 0;
  while (i < text.length) {
    let j = i;
    while (text.charCodeAt(j) === 32) j++;
    const indent = j - i;
    let eol = lineEnd(text, j);
    if (blockScalarParent >= 0) {
      if (isBlank(text, j, eol) || indent > blockScalarParent) {
        i = eol + 1;
        continue;
      }
      blockScalarParent = -1;
    }
    if (flow === 0) {
      if (isBlank(text, j, eol) || text[j] === '#') {
        i = eol + 1;
        continue;
      }
      while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
    }
    let depth = indents.length + flow;
    if (depth > max) return j;
    // At the start of a node (a quote there opens a quoted scalar; elsewhere it is part of a plain one).
    let valuePosition = true;
    // The column of the innermost block node on this line: a block scalar's lines are indented past it.
    let nodeColumn = indent;
    let k = j;
    while (k < eol) {
      const c = text[k]!;
      if (c === '"' || c === "'") {
        if (!valuePosition) {
          k++;
          continue;
        }
        k = skipQuoted(text, k);
        eol = lineEnd(text, Math.min(k, text.length));
        valuePosition = false;
        continue;
      }
      if (c === '#' && (k === j || text[k - 1] === ' ' || text[k - 1] === '\t')) break;
      if (flow > 0) {
        if (c === '[' || c === '{') {
          flow++;
          if (++depth > max) return k;
        } else if (c === ']' || c === '}') {
          flow--;
          depth--;
        }
        if (c !== ' ' && c !== '\t') valuePosition = c === '[' || c === '{' || c === ',' || c === ':' || c === '?';
        k++;
        continue;
      }
      const indicator = (c === '-' || c === '?' || c === ':') && isSpaceOrEnd(text, k + 1);
      if (indicator && (valuePosition || c === ':')) {
        valuePosition = true;
        if (c !== ':') {
          let next = k + 1;
          while (text[next] === ' ') next++;
          nodeColumn = indent + (next - j);
        }
        if (++depth > max) return k;
      } else if (valuePosition && (c === '[' || c === '{')) {
        flow = 1;
        if (++depth > max) return k;
      } else if (valuePosition && (c === '|' || c === '>')) {
        blockScalarParent = nodeColumn;
        break;
      } else if (c !== ' ' && c !== '\t' && !(valuePosition && (c === '&' || c === '!'))) {
        valuePosition = false;
      } else if (c === '&' || c === '!') {
        // An anchor or a tag before the value: the value's position is after it.
        while (k + 1 < eol && text[k + 1] !== ' ') k++;
      }
      k++;
    }
    i = eol + 1;
  }
  return -1;
}

function lineEnd(text: string, from: number): number {
  const n = text.indexOf('\n', from);
  return n === -1 ? text.length : n;
}

function isBlank(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = text[k];
    if (c !== ' ' && c !== '\t' && c !== '\r') return false;
  }
  return true;
}

function isSpaceOrEnd(text: string, at: number): boolean {
  const c = text[at];
  return c === undefined || c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** The offset after the quoted scalar that starts at `from` (or the end of the text when it never closes). */
function skipQuoted(text: string, from: number): number {
  const quote = text[from];
  for (let k = from + 1; k < text.length; k++) {
    const c = text[k];
    if (quote === '"' && c === '\\') k++;
    else if (c === quote) {
      if (quote === "'" && text[k + 1] === "'") k++;
      else return k + 1;
    }
  }
  return text.length;
}
