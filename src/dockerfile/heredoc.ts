// Which heredocs an instruction opens, by BuildKit's rules (frontend/dockerfile/parser: heredocsFromLine,
// ParseHeredoc, canContainHeredoc): only RUN, COPY and ADD (also as ONBUILD triggers) in shell form; the
// joined line is split into shell words with quotes and escapes kept, and a word is a heredoc when it reads
// `[fd]<<[-][spaces]WORD` with no further `<`. WORD with its quotes and escapes removed is the terminator.
// So `3<<EOF`, `<< EOF` and `<<E"O"F` open heredocs (terminated by EOF), while `\<<EOF`, `"<<EOF"` and
// `a<<EOF` do not. The escape token here is always `\`, whatever the escape directive says, as in BuildKit.

export interface Heredoc {
  /** The terminator line. */
  name: string;
  /** `<<-`: leading tabs are removed from body lines and from the terminator line. */
  chomp: boolean;
}

const HEREDOC_KEYWORDS = new Set(['ADD', 'COPY', 'RUN']);
// RE2's \d and \s are ASCII-only.
const HEREDOC_WORD = /^([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)$/;

/** The heredocs of an instruction, given its keyword, its arguments after the flags, and its whole joined line. */
export function heredocsOf(keyword: string, args: string, line: string): Heredoc[] {
  if (!HEREDOC_KEYWORDS.has(keyword.toUpperCase()) || isJsonForm(args) || !line.includes('<<')) return [];
  const words = shellWords(line, true);
  if (!words) return [];
  const docs: Heredoc[] = [];
  for (const word of words) {
    const m = HEREDOC_WORD.exec(word);
    if (!m || m[3] === '') continue;
    const name = shellWords(m[3]!, false);
    if (name?.length === 1) docs.push({ name: name[0]!, chomp: m[2] === '-' });
  }
  return docs;
}

/** parseJSON: arguments that are a JSON array of strings are the exec form. */
export function isJsonForm(args: string): boolean {
  const rest = args.trimStart();
  if (!rest.startsWith('[')) return false;
  try {
    const parsed: unknown = JSON.parse(rest);
    return Array.isArray(parsed) && parsed.every((s) => typeof s === 'string');
  } catch {
    return false;
  }
}

/**
 * BuildKit's ProcessWords with no variables and SkipUnsetEnv: whitespace-separated words, quotes and `\`
 * escapes kept (`raw`) or removed, `$…` left as written, and `<<` glued to the spaces after it. Undefined
 * where the lexer fails (an unterminated quote, a bad `${`): BuildKit then finds no words, hence no heredoc.
 */
export function shellWords(text: string, raw: boolean): string[] | undefined {
  const chars = Array.from(text);
  const words: string[] = [];
  let buf = '';
  let inWord = false;
  let pos = 0;
  const addRaw = (s: string) => {
    buf += s;
    inWord = true;
  };
  const addChar = (ch: string) => {
    if (!/^\s$/u.test(ch)) addRaw(ch);
    else if (inWord && buf !== '') {
      words.push(buf);
      buf = '';
      inWord = false;
    }
  };
  while (pos < chars.length) {
    const ch = chars[pos]!;
    if (ch === "'" || ch === '"') {
      const quoted = ch === "'" ? singleQuoted(chars, pos, raw) : doubleQuoted(chars, pos, raw);
      if (!quoted) return undefined;
      addRaw(quoted.text);
      pos = quoted.end;
    } else if (ch === '$' && chars[pos + 1] === '{') {
      const end = braceEnd(chars, pos);
      if (end === undefined) return undefined;
      for (const c of chars.slice(pos, end)) addChar(c);
      pos = end;
    } else if (ch === '<' && chars[pos + 1] === '<') {
      let end = pos + 2;
      while (chars[end] === ' ' || chars[end] === '\t' || chars[end] === '\r') end++;
      addRaw(chars.slice(pos, end).join(''));
      pos = end;
    } else if (ch === '\\') {
      if (raw) addRaw(ch);
      if (pos + 1 >= chars.length) break;
      addRaw(chars[pos + 1]!);
      pos += 2;
    } else {
      addChar(ch);
      pos++;
    }
  }
  if (buf !== '') words.push(buf);
  return words;
}

function singleQuoted(chars: readonly string[], start: number, raw: boolean): { text: string; end: number } | undefined {
  const close = chars.indexOf("'", start + 1);
  if (close === -1) return undefined;
  const inner = chars.slice(start + 1, close).join('');
  return { text: raw ? `'${inner}'` : inner, end: close + 1 };
}

function doubleQuoted(chars: readonly string[], start: number, raw: boolean): { text: string; end: number } | undefined {
  let text = raw ? '"' : '';
  for (let pos = start + 1; pos < chars.length; ) {
    const ch = chars[pos]!;
    if (ch === '"') return { text: raw ? `${text}"` : text, end: pos + 1 };
    if (ch === '$' && chars[pos + 1] === '{') {
      const end = braceEnd(chars, pos);
      if (end === undefined) return undefined;
      text += chars.slice(pos, end).join('');
      pos = end;
      continue;
    }
    pos++;
    if (ch === '\\') {
      // As in BuildKit: a raw escape is written, then the escaped character, or the escape again.
      if (raw) text += ch;
      const next = chars[pos];
      if (next === undefined) continue;
      if (next === '"' || next === '$' || next === '\\') {
        text += next;
        pos++;
        continue;
      }
    }
    text += ch;
  }
  return undefined;
}

/** Index just past the `}` closing the `${` at `start`; undefined for what BuildKit calls a bad substitution. */
function braceEnd(chars: readonly string[], start: number): number | undefined {
  const first = chars[start + 2];
  if (first === undefined || first === '{' || first === '}' || first === ':') return undefined;
  let depth = 0;
  for (let pos = start; pos < chars.length; pos++) {
    if (chars[pos] === '\\') pos++;
    else if (chars[pos] === '$' && chars[pos + 1] === '{') {
      depth++;
      pos++;
    } else if (chars[pos] === '}' && --depth === 0) return pos + 1;
  }
  return undefined;
}
