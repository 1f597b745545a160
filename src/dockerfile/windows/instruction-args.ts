// Splitting an instruction's argument text the way BuildKit's parser does before any substitution
// (frontend/dockerfile/parser/line_parsers.go): JSON (exec) form, whitespace-separated words, and `key=value`
// pairs. Leading `--flags` and quote-aware words are read by ../logical-line.ts, as for every Dockerfile. Pure.
import { parseWords } from '../logical-line.js';

export class ArgumentError extends Error {
  override name = 'ArgumentError';
}

/** The exec form's strings, or undefined when the text is not a JSON array (then it is the shell form). */
export function parseJsonForm(text: string): string[] | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  if (!parsed.every((item): item is string => typeof item === 'string')) throw new ArgumentError('the JSON array may hold only strings');
  return parsed;
}

/** Words separated by blanks, quotes not considered (COPY, EXPOSE, FROM, VOLUME in shell form). */
export function splitBlanks(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(/[\t\v\f\r ]+/);
}

export interface RawPair {
  key: string;
  value: string;
}

/**
 * ENV and LABEL arguments: `k=v k2="v 2"` pairs, or the legacy `KEY value with spaces` (one pair, the value
 * being the rest of the line). Keys and values are still unsubstituted.
 */
export function splitPairs(text: string, escape: string, keyword: string): { pairs: RawPair[]; legacy: boolean } {
  const words = parseWords(text, escape);
  if (words.length === 0) throw new ArgumentError(`${keyword} needs at least one key=value`);
  if (!words[0]!.includes('=')) {
    const parts = text.trim().split(/[\t\v\f\r ]+/);
    if (parts.length < 2) throw new ArgumentError(`${keyword} must have two arguments`);
    const key = parts[0]!;
    return { pairs: [{ key, value: text.trim().slice(key.length).trimStart() }], legacy: true };
  }
  const pairs = words.map((word) => {
    const eq = word.indexOf('=');
    if (eq === -1) throw new ArgumentError(`can't find = in ${JSON.stringify(word)}; it must be of the form name=value`);
    return { key: word.slice(0, eq), value: word.slice(eq + 1) };
  });
  return { pairs, legacy: false };
}
