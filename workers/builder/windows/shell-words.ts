// Dockerfile word processing: quotes, the escape character and `$VAR` / `${VAR…}` substitution, as BuildKit's
// shell lexer does it (frontend/dockerfile/shell/lex.go, ProcessWord). Pure; variables come from a lookup.
// With the default escape `\`, `C:\app\bin` reads as `C:appbin` — Docker's own behaviour, which is why
// Windows Dockerfiles use `# escape=\``; the evaluator warns when a path looks bitten by it.

export type VariableLookup = (name: string) => string | undefined;

export class ShellWordError extends Error {
  override name = 'ShellWordError';
}

const SPECIAL_PARAMETERS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

/** The word with quotes removed, escapes applied and variables substituted (unset ones become ''). */
export function expandWord(word: string, lookup: VariableLookup, escape: string): string {
  return new WordScanner(word, lookup, escape).processUntil(undefined, false);
}

/**
 * True when the escape character, outside quotes, would swallow itself in front of a letter or digit — the
 * `C:\app` → `C:app` surprise of Windows paths under the default escape.
 */
export function escapeSwallowsSeparator(word: string, escape: string): boolean {
  let quote: string | undefined;
  const chars = Array.from(word);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
    } else if (ch === escape) {
      const following = chars[i + 1];
      if (quote === undefined && following !== undefined && /[\p{L}\p{N}]/u.test(following)) return true;
      if (quote === undefined || following === '"' || following === '$' || following === escape) i++;
    } else if (ch === quote) quote = undefined;
    else if (quote === undefined && (ch === "'" || ch === '"')) quote = ch;
  }
  return false;
}

class WordScanner {
  private readonly chars: string[];
  private pos = 0;

  constructor(
    word: string,
    private readonly lookup: VariableLookup,
    private readonly escape: string,
  ) {
    this.chars = Array.from(word);
  }

  /** Reads up to `stop` (consumed) or the end; `raw` keeps escape characters, as in `${x#pattern}`. */
  processUntil(stop: string | undefined, raw: boolean): string {
    let out = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (stop !== undefined && ch === stop) {
        this.pos++;
        return out;
      }
      if (ch === '$') out += this.dollar();
      else if (ch === "'") out += this.singleQuoted();
      else if (ch === '"') out += this.doubleQuoted(raw);
      else {
        this.pos++;
        if (ch === this.escape) {
          if (raw) out += ch;
          const escaped = this.next();
          if (escaped === undefined) break; // an escape at the very end is dropped
          out += escaped;
        } else out += ch;
      }
    }
    if (stop !== undefined) throw new ShellWordError(`unexpected end of statement while looking for matching ${stop}`);
    return out;
  }

  private singleQuoted(): string {
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw new ShellWordError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return out;
      out += ch;
    }
  }

  private doubleQuoted(raw: boolean): string {
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new ShellWordError('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      this.pos++;
      if (ch === this.escape) {
        if (raw) out += ch;
        const following = this.peek();
        if (following === undefined) continue;
        // Inside double quotes only ", $ and the escape character itself can be escaped.
        if (following === '"' || following === '$' || following === this.escape) {
          out += this.next();
          continue;
        }
      }
      out += ch;
    }
  }

  private dollar(): string {
    this.pos++;
    if (this.peek() !== '{') {
      const name = this.name();
      return name === '' ? '$' : (this.lookup(name) ?? '');
    }
    this.pos++;
    const first = this.peek();
    if (first === undefined) throw new ShellWordError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new ShellWordError('syntax error: bad substitution');
    const name = this.name();
    let op = this.next();
    if (op === undefined) throw new ShellWordError("syntax error: missing '}'");
    if (op === '}') return this.lookup(name) ?? '';
    const value = this.lookup(name);
    let nullIsUnset = false;
    if (op === ':') {
      nullIsUnset = true;
      op = this.next();
      if (op !== '-' && op !== '+' && op !== '?') throw new ShellWordError(`unsupported modifier (:${op ?? ''}) in substitution`);
    }
    const unset = value === undefined || (nullIsUnset && value === '');
    switch (op) {
      case '-': {
        const word = this.modifierWord(false);
        return unset ? word : value!;
      }
      case '+': {
        const word = this.modifierWord(false);
        return unset ? '' : word;
      }
      case '?': {
        const word = this.modifierWord(false);
        if (unset) throw new ShellWordError(`${name}: ${word || (value === undefined ? 'is not allowed to be unset' : 'is not allowed to be empty')}`);
        return value!;
      }
      case '#':
      case '%': {
        let word = this.modifierWord(true);
        const greedy = word.startsWith(op);
        if (greedy) word = word.slice(1);
        return op === '#' ? trimPrefix(value ?? '', word, greedy) : trimSuffix(value ?? '', word, greedy);
      }
      case '/': {
        const all = this.peek() === '/';
        if (all) this.pos++;
        const pattern = this.processUntil('/', true);
        const replacement = this.processUntil('}', true);
        const re = patternToRegExp(pattern, true, false, all ? 'g' : '');
        return (value ?? '').replace(re, () => replacement);
      }
      default:
        throw new ShellWordError(`unsupported modifier (${op ?? 'end of word'}) in substitution`);
    }
  }

  private modifierWord(raw: boolean): string {
    try {
      return this.processUntil('}', raw);
    } catch (err) {
      if (this.peek() === undefined) throw new ShellWordError("syntax error: missing '}'");
      throw err;
    }
  }

  /** A variable name: letters, digits and `_`; or all digits; or one special parameter. */
  private name(): string {
    let name = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (name === '' && /\d/.test(ch)) {
        while (this.peek() !== undefined && /\d/.test(this.peek()!)) name += this.next();
        return name;
      }
      if (name === '' && SPECIAL_PARAMETERS.has(ch)) return this.next()!;
      if (!/[\p{L}\p{N}_]/u.test(ch)) break;
      name += this.next();
    }
    return name;
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    return this.chars[this.pos++];
  }
}

/** A shell pattern (`*`, `?`, `\` escapes) as a RegExp; `*` is lazy unless greedy. */
function patternToRegExp(pattern: string, greedy: boolean, anchored: boolean, flags = ''): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') out += greedy ? '.*' : '.*?';
    else if (ch === '?') out += '.';
    else if (ch === '\\') {
      const following = chars[i + 1];
      if (following === '}' || following === '/') continue;
      if (following !== '*' && following !== '?' && following !== '\\') throw new ShellWordError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${following ?? ''}'`);
      out += `\\${following}`;
      i++;
    } else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(out, flags);
}

function trimPrefix(value: string, pattern: string, greedy: boolean): string {
  const match = patternToRegExp(pattern, greedy, true).exec(value);
  return match ? value.slice(match[0].length) : value;
}

function trimSuffix(value: string, pattern: string, greedy: boolean): string {
  // Match the reversed pattern against the reversed value, so "shortest suffix" becomes "shortest prefix".
  const reversedValue = Array.from(value).reverse().join('');
  const match = patternToRegExp(reversePattern(pattern), greedy, true).exec(reversedValue);
  return match ? Array.from(reversedValue.slice(match[0].length)).reverse().join('') : value;
}

/** Reverses a pattern keeping `\x` escapes in front of the character they escape. */
function reversePattern(pattern: string): string {
  const tokens: string[] = [];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === '\\' && i + 1 < chars.length) {
      tokens.push(`\\${chars[i + 1]}`);
      i++;
    } else tokens.push(chars[i]!);
  }
  return tokens.reverse().join('');
}
