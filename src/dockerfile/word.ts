// Variable substitution in one Dockerfile word, ported from BuildKit's shell lexer
// (moby/buildkit frontend/dockerfile/shell/lex.go): quotes, the escape token, $VAR, ${VAR}, ${VAR:-word},
// ${VAR-word}, ${VAR:+word}, ${VAR+word}, ${VAR:?msg}, ${VAR#pat}, ${VAR%pat} (and ##, %%), ${VAR/pat/repl}.
// Two things differ from Docker on purpose: a variable without a value is reported (Docker silently uses
// ''), and a platform variable with no known value stays symbolic, wrapped in SYMBOL_OPEN/SYMBOL_CLOSE.
import { MatchBudget, parsePattern, replace, trimPrefix, trimSuffix } from './glob.js';
import { ExpansionError } from './word-errors.js';

export { ExpansionError };

/**
 * What a name stands for: a value, nothing (`unset`), or a platform placeholder. A `tainted` value is the one
 * BuildKit computes from unset variables (as ''): it is used where only its being set or empty matters, and
 * reported where its text ends up in the result.
 */
export type Binding = { value: string; tainted?: boolean } | 'unset' | 'symbolic';

export interface WordEnv {
  lookup(name: string): Binding;
}

export interface Expansion {
  value: string;
  /** Variables whose value was needed but is unset or tainted. */
  unresolved: Set<string>;
}

export const SYMBOL_OPEN = '\uE000';
export const SYMBOL_CLOSE = '\uE001';
/** Longest result of one word; also stops ARG chains that double a value at each step. */
export const MAX_WORD_LENGTH = 65536;
const MAX_NESTING = 32;

export function hasSymbol(text: string): boolean {
  return text.includes(SYMBOL_OPEN);
}

/** The text with placeholders shown as written, e.g. `$BUILDPLATFORM`. */
export function showSymbols(text: string): string {
  return text.replace(/[\uE000\uE001]/g, '');
}

/** Splits text into literal parts and placeholders. */
export function symbolParts(text: string): { text: string; wild: boolean }[] {
  const parts: { text: string; wild: boolean }[] = [];
  const re = /\uE000([^\uE001]*)\uE001/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) parts.push({ text: text.slice(last, m.index), wild: false });
    parts.push({ text: m[1]!, wild: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), wild: false });
  return parts;
}

export function expandWord(word: string, escape: string, env: WordEnv, budget: MatchBudget): Expansion {
  if (word.includes(SYMBOL_OPEN) || word.includes(SYMBOL_CLOSE)) throw new ExpansionError('contains private-use characters U+E000/U+E001');
  const lexer = new WordLexer(Array.from(word), escape, env, budget);
  const value = lexer.processStopOn(undefined, false);
  return { value, unresolved: lexer.unresolved };
}

class WordLexer {
  private pos = 0;
  private depth = 0;
  unresolved = new Set<string>();

  constructor(
    private readonly chars: string[],
    private readonly escape: string,
    private readonly env: WordEnv,
    private readonly budget: MatchBudget,
  ) {}

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    const c = this.chars[this.pos];
    if (c !== undefined) this.pos++;
    return c;
  }

  /** Reads up to `stop` (or the end), returning the expanded text. */
  processStopOn(stop: string | undefined, rawEscapes: boolean): string {
    let result = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (stop !== undefined && ch === stop) {
        this.next();
        return result;
      }
      if (ch === '$') result += this.processDollar();
      else if (ch === "'") result += this.processSingleQuote();
      else if (ch === '"') result += this.processDoubleQuote();
      else {
        let c = this.next()!;
        if (c === this.escape) {
          if (rawEscapes) result += c;
          const escaped = this.next();
          if (escaped === undefined) break;
          c = escaped;
        }
        result += c;
      }
      if (result.length > MAX_WORD_LENGTH) throw new ExpansionError(`expands to more than ${MAX_WORD_LENGTH} characters`);
    }
    if (stop !== undefined) throw new ExpansionError(`unexpected end of statement while looking for matching ${stop}`);
    return result;
  }

  private processSingleQuote(): string {
    this.next();
    let result = '';
    for (;;) {
      const c = this.next();
      if (c === undefined) throw new ExpansionError('unexpected end of statement while looking for matching single-quote');
      if (c === "'") return result;
      result += c;
    }
  }

  private processDoubleQuote(): string {
    this.next();
    let result = '';
    for (;;) {
      const peek = this.peek();
      if (peek === undefined) throw new ExpansionError('unexpected end of statement while looking for matching double-quote');
      if (peek === '"') {
        this.next();
        return result;
      }
      if (peek === '$') result += this.processDollar();
      else {
        let c = this.next()!;
        if (c === this.escape) {
          const after = this.peek();
          if (after === undefined) continue;
          if (after === '"' || after === '$' || after === this.escape) c = this.next()!;
        }
        result += c;
      }
      if (result.length > MAX_WORD_LENGTH) throw new ExpansionError(`expands to more than ${MAX_WORD_LENGTH} characters`);
    }
  }

  private processDollar(): string {
    if (++this.depth > MAX_NESTING) throw new ExpansionError(`variable substitutions are nested more than ${MAX_NESTING} deep`);
    try {
      return this.dollar();
    } finally {
      this.depth--;
    }
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      return name === '' ? '$' : this.plain(name, `$${name}`);
    }
    this.next();
    const first = this.peek();
    if (first === undefined) throw new ExpansionError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new ExpansionError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    if (ch === undefined) throw new ExpansionError("syntax error: missing '}'");
    let modifier: string = ch;
    if (ch === '}') return this.plain(name, `\${${name}}`);
    if (ch === '/') return this.substitute(name);
    let nullIsUnset = false;
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      modifier += ch ?? '';
    } else if (ch !== '+' && ch !== '-' && ch !== '?' && ch !== '#' && ch !== '%') {
      throw new ExpansionError(`unsupported modifier (${modifier}) in substitution`);
    }
    const rawEscapes = ch === '#' || ch === '%';
    if (nullIsUnset && rawEscapes) throw new ExpansionError(`unsupported modifier (${modifier}) in substitution`);
    const [word, wordUnresolved] = this.scoped(() => this.stopOnBrace('}', rawEscapes, "syntax error: missing '}'"));
    const binding = this.env.lookup(name);
    if (binding === 'symbolic' || (typeof binding === 'object' && (ch === '#' || ch === '%') && binding.value.includes(SYMBOL_OPEN))) {
      return symbol(`\${${name}${modifier}${showSymbols(word)}}`);
    }
    const set = typeof binding === 'object';
    const value = set ? binding.value : '';
    const useWord = () => {
      for (const n of wordUnresolved) this.unresolved.add(n);
      return word;
    };
    const useValue = () => {
      if (set && binding.tainted) this.unresolved.add(name);
      return value;
    };
    switch (ch) {
      case '-':
        return !set || (nullIsUnset && value === '') ? useWord() : useValue();
      case '+':
        return !set || (nullIsUnset && value === '') ? '' : useWord();
      case '?':
        if (binding === 'unset') throw new ExpansionError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (set && nullIsUnset && value === '') throw new ExpansionError(`${name}: ${word || 'is not allowed to be empty'}`);
        return useValue();
      case '%':
      case '#': {
        if (binding === 'unset') this.unresolved.add(name);
        useValue();
        useWord();
        const longest = word.startsWith(ch);
        const pattern = parsePattern(longest ? word.slice(1) : word);
        return ch === '%' ? trimSuffix(pattern, value, longest, this.budget) : trimPrefix(pattern, value, longest, this.budget);
      }
      default:
        throw new ExpansionError(`unsupported modifier (${modifier}) in substitution`);
    }
  }

  /** ${name/pattern/replacement} and ${name//pattern/replacement}. */
  private substitute(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    const [pattern, patternUnresolved] = this.scoped(() => this.stopOnBrace('/', true, "syntax error: missing '/' in ${}"));
    const [replacement, replacementUnresolved] = this.scoped(() => this.stopOnBrace('}', true, "syntax error: missing '}'"));
    const binding = this.env.lookup(name);
    if (binding === 'symbolic' || (typeof binding === 'object' && binding.value.includes(SYMBOL_OPEN))) {
      return symbol(`\${${name}/${all ? '/' : ''}${showSymbols(pattern)}/${showSymbols(replacement)}}`);
    }
    if (typeof binding !== 'object' || binding.tainted) this.unresolved.add(name);
    for (const n of [...patternUnresolved, ...replacementUnresolved]) this.unresolved.add(n);
    const value = typeof binding === 'object' ? binding.value : '';
    return replace(parsePattern(pattern), value, replacement, all, this.budget);
  }

  private stopOnBrace(stop: string, rawEscapes: boolean, atEnd: string): string {
    try {
      return this.processStopOn(stop, rawEscapes);
    } catch (err) {
      if (err instanceof ExpansionError && this.peek() === undefined && err.message.startsWith('unexpected end of statement')) {
        throw new ExpansionError(atEnd);
      }
      throw err;
    }
  }

  /** Runs `read` with its own set of unresolved names, so a word that ends up unused reports nothing. */
  private scoped(read: () => string): [string, Set<string>] {
    const outer = this.unresolved;
    const inner = new Set<string>();
    this.unresolved = inner;
    try {
      return [read(), inner];
    } finally {
      this.unresolved = outer;
    }
  }

  private plain(name: string, written: string): string {
    const binding = this.env.lookup(name);
    if (typeof binding === 'object') {
      if (binding.tainted) this.unresolved.add(name);
      return binding.value;
    }
    if (binding === 'symbolic') return symbol(written);
    this.unresolved.add(name);
    return '';
  }

  private processName(): string {
    let name = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (name === '' && isDigit(ch)) {
        while (this.peek() !== undefined && isDigit(this.peek()!)) name += this.next();
        return name;
      }
      if (name === '' && '@*#?-$!0'.includes(ch)) return this.next()!;
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }
}

function symbol(written: string): string {
  return SYMBOL_OPEN + written + SYMBOL_CLOSE;
}

// Go's unicode.IsDigit and unicode.IsLetter.
const DIGIT = /^\p{Nd}$/u;
const LETTER = /^\p{L}$/u;

function isDigit(c: string): boolean {
  return DIGIT.test(c);
}

function isLetter(c: string): boolean {
  return LETTER.test(c);
}
