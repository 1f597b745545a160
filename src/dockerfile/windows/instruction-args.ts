// Splitting an instruction's argument text the way BuildKit's parser does before any substitution
// (frontend/dockerfile/parser/line_parsers.go): leading `--flags`, JSON (exec) form, whitespace-separated
// words, quote-aware words for ENV/LABEL/ARG, and `key=value` pairs. Pure.

export interface Flag {
  name: string;
  /** undefined for a bare `--link`. */
  value: string | undefined;
}

export class ArgumentError extends Error {
  override name = 'ArgumentError';
}

/** Leading `--name[=value]` words, and the text after them. */
export function splitFlags(text: string): { flags: Flag[]; rest: string } {
  const flags: Flag[] = [];
  let rest = text.trimStart();
  while (rest.startsWith('--')) {
    const end = rest.search(/\s/);
    const word = end === -1 ? rest : rest.slice(0, end);
    rest = end === -1 ? '' : rest.slice(end).trimStart();
    if (word === '--') break;
    const eq = word.indexOf('=');
    flags.push(eq === -1 ? { name: word.slice(2), value: undefined } : { name: word.slice(2, eq), value: word.slice(eq + 1) });
  }
  return { flags, rest };
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

/**
 * Words separated by whitespace outside quotes, with quotes and escapes kept for the later substitution
 * (ENV, LABEL, ARG). An escape character outside quotes keeps the next character in the word.
 */
export function splitQuotedWords(text: string, escape: string): string[] {
  const words: string[] = [];
  const chars = Array.from(text);
  let word = '';
  let inWord = false;
  let blankOk = false;
  let quote: string | undefined;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (quote === undefined && /\s/.test(ch)) {
      if (inWord && (blankOk || word !== '')) words.push(word);
      word = '';
      inWord = false;
      blankOk = false;
      continue;
    }
    inWord = true;
    if (quote === undefined && (ch === "'" || ch === '"')) {
      quote = ch;
      blankOk = true;
    } else if (quote !== undefined && ch === quote) quote = undefined;
    if (ch === escape && quote !== "'") {
      if (i + 1 === chars.length) {
        quote = undefined;
        continue; // an escape at the very end is dropped
      }
      word += ch;
      word += chars[++i]!;
      continue;
    }
    word += ch;
  }
  if (inWord && (blankOk || word !== '')) words.push(word);
  return words;
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
  const words = splitQuotedWords(text, escape);
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
