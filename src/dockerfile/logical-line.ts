// Reads one instruction the way BuildKit's parser does (frontend/dockerfile/parser): joins continuation lines,
// splits off the keyword and the leading `--flags`, and splits words, keeping escapes and quotes exactly as
// written where variable substitution needs them.
import type { EscapeToken } from './source.js';

export interface LogicalLine {
  keyword: string;
  /** Flag words without the leading `--`, quotes and escapes removed, each with its 0-based line. */
  flags: { text: string; line: number }[];
  /** Everything after the flags, trimmed. */
  rest: string;
  /** 0-based line the instruction ends on (before any heredoc body). */
  endLine: number;
  /** The joined line, continuation escapes removed: where BuildKit looks for heredocs. */
  text: string;
}

/** Reads the instruction starting on 0-based line `start` of the prepared lines. */
export function readLogicalLine(lines: readonly string[], start: number, escape: EscapeToken): LogicalLine {
  let [text, ended] = trimContinuation(lines[start]!.replace(/^\s+/, ''), escape);
  const segments = [{ offset: 0, line: start }];
  let line = start;
  while (!ended && line + 1 < lines.length) {
    line++;
    const next = lines[line]!;
    if (next.trim() === '') continue;
    let piece: string;
    [piece, ended] = trimContinuation(next, escape);
    segments.push({ offset: text.length, line });
    text += piece;
  }
  const lineAt = (offset: number): number => {
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segments[mid]!.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return segments[lo]!.line;
  };
  return { ...splitCommand(text, escape, lineAt), endLine: line, text };
}

/** A line ending in the escape token (not itself escaped) continues on the next line. */
function trimContinuation(line: string, escape: string): [string, boolean] {
  let end = line.length;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  if (end > 0 && line[end - 1] === escape && (end === 1 || line[end - 2] !== escape)) return [line.slice(0, end - 1), false];
  return [line, true];
}

const WHITESPACE = /[\t\v\f\r ]+/;

export function splitCommand(text: string, escape: string, lineAt: (offset: number) => number): Omit<LogicalLine, 'endLine' | 'text'> {
  const lead = text.length - text.trimStart().length;
  const trimmed = text.trim();
  const ws = WHITESPACE.exec(trimmed);
  if (!ws) return { keyword: trimmed, flags: [], rest: '' };
  const keyword = trimmed.slice(0, ws.index);
  const argsStart = ws.index + ws[0].length;
  const { flags, rest } = extractFlags(trimmed.slice(argsStart), escape);
  return {
    keyword,
    flags: flags.map((f) => ({ text: f.text, line: lineAt(lead + argsStart + f.offset) })),
    rest: rest.trim(),
  };
}

/** BuildKit's extractBuilderFlags: leading words starting with `--`, until a plain word or a bare `--`. */
export function extractFlags(line: string, escape: string): { flags: { text: string; offset: number }[]; rest: string } {
  const flags: { text: string; offset: number }[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && /\s/.test(line[pos]!)) pos++;
    if (pos >= line.length) return { flags, rest: '' };
    if (!line.startsWith('--', pos)) return { flags, rest: line.slice(pos) };
    const wordStart = pos;
    let word = '';
    let quote = '';
    let blankOK = false;
    for (; pos < line.length; pos++) {
      let ch = line[pos]!;
      if (quote === '' && /\s/.test(ch)) break;
      if (quote !== '' && ch === quote) {
        quote = '';
        continue;
      }
      if (quote === '' && (ch === "'" || ch === '"')) {
        quote = ch;
        blankOK = true;
        continue;
      }
      if (ch === escape) {
        if (pos + 1 === line.length) continue;
        ch = line[++pos]!;
      }
      word += ch;
    }
    if (word === '--') return { flags, rest: line.slice(pos) };
    if (blankOK || word.length > 0) flags.push({ text: word.slice(2), offset: wordStart });
  }
}

/** BuildKit's parseWords (used for ARG): whitespace-separated words, quotes and escapes kept as written. */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let word = '';
  let inWord = false;
  let quote = '';
  let blankOK = false;
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i]!;
    if (!inWord) {
      if (/\s/u.test(ch)) continue;
      inWord = true;
    }
    if (quote === '') {
      if (/\s/u.test(ch)) {
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        inWord = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
      }
      if (ch === escape) {
        if (i + 1 === chars.length) continue;
        word += ch;
        ch = chars[++i]!;
      }
      word += ch;
    } else {
      if (ch === quote) quote = '';
      if (ch === escape && quote !== "'") {
        if (i + 1 === chars.length) {
          quote = '';
          continue;
        }
        word += ch;
        ch = chars[++i]!;
      }
      word += ch;
    }
  }
  if (inWord && (blankOK || word.length > 0)) words.push(word);
  return words;
}
