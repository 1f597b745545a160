// The lexer of Go's text/template, as ACR's engine (acr-builder's templating/engine.go: text/template with
// Sprig's TxtFuncMap) reads a task file: text and `{{ }}` actions, `{{-` and `-}}` trimming the white space
// beside them (the marker needs a space, as in Go: `{{-3}}` is the number -3), `{{/* comments */}}`.
//
// Why a hand-written engine: no JavaScript library has Go's exact semantics (missingkey=zero printing
// "<no value>", Go truthiness, variable scoping in range and with, Sprig's argument order), and the npm ones
// that come close either implement a small subset or compile the template to JavaScript and eval it.

export class GoTemplateError extends Error {
  override name = 'GoTemplateError';
  constructor(
    message: string,
    /** Offset in the source where the problem is. */
    readonly offset: number,
  ) {
    super(message);
  }
}

export type Token =
  | { kind: 'text'; value: string; offset: number }
  | { kind: 'open' | 'close' | 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma'; offset: number }
  | { kind: 'field'; names: string[]; offset: number }
  | { kind: 'dot'; offset: number }
  | { kind: 'variable'; name: string; fields: string[]; offset: number }
  | { kind: 'ident'; name: string; offset: number }
  | { kind: 'string'; value: string; offset: number }
  | { kind: 'number'; value: number; offset: number }
  | { kind: 'comment'; offset: number };

const SPACE = /[ \t\r\n]/;
const IDENT = /[A-Za-z0-9_]/;

/** Splits a template into text and action tokens, with trim markers applied to the text beside them. */
export function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open === -1 ? src.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    const trimBefore = open !== -1 && src[open + 2] === '-' && SPACE.test(src[open + 3] ?? '');
    if (trimBefore) text = text.replace(/[ \t\r\n]+$/, '');
    if (text) out.push({ kind: 'text', value: text, offset: i });
    if (open === -1) break;
    const end = lexAction(src, open + (trimBefore ? 4 : 2), open, out);
    trimNext = end.trimAfter;
    i = end.next;
  }
  return out;
}

function lexAction(src: string, from: number, open: number, out: Token[]): { next: number; trimAfter: boolean } {
  out.push({ kind: 'open', offset: open });
  let i = from;
  while (SPACE.test(src[i] ?? '')) i++;
  if (src.startsWith('/*', i)) {
    const close = src.indexOf('*/', i + 2);
    if (close === -1) throw new GoTemplateError('unclosed comment', i);
    i = close + 2;
    const end = closeAt(src, i);
    if (end === undefined) throw new GoTemplateError('comment ends before closing delimiter', i);
    out.push({ kind: 'comment', offset: open }, { kind: 'close', offset: i });
    return end;
  }
  for (;;) {
    const end = closeAt(src, i);
    if (end !== undefined) {
      out.push({ kind: 'close', offset: i });
      return end;
    }
    const c = src[i];
    if (c === undefined) throw new GoTemplateError('unclosed template action: {{ without }}', open);
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '|') out.push({ kind: 'pipe', offset: i++ });
    else if (c === '(') out.push({ kind: 'lparen', offset: i++ });
    else if (c === ')') out.push({ kind: 'rparen', offset: i++ });
    else if (c === ',') out.push({ kind: 'comma', offset: i++ });
    else if (c === ':' && src[i + 1] === '=') {
      out.push({ kind: 'declare', offset: i });
      i += 2;
    } else if (c === '=') out.push({ kind: 'assign', offset: i++ });
    else if (c === '"') {
      const [value, next] = goString(src, i);
      out.push({ kind: 'string', value, offset: start });
      i = next;
    } else if (c === '`') {
      const close = src.indexOf('`', i + 1);
      if (close === -1) throw new GoTemplateError('unterminated raw quoted string', i);
      out.push({ kind: 'string', value: src.slice(i + 1, close), offset: start });
      i = close + 1;
    } else if (/[0-9]/.test(c) || ((c === '-' || c === '+') && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^[-+]?(0x[0-9a-fA-F_]+|[0-9_]*\.?[0-9_]+(e[-+]?[0-9]+)?)/.exec(src.slice(i))!;
      const value = Number(m[0].replaceAll('_', ''));
      if (Number.isNaN(value)) throw new GoTemplateError(`bad number syntax: ${JSON.stringify(m[0])}`, i);
      out.push({ kind: 'number', value, offset: start });
      i += m[0].length;
    } else if (c === '.') {
      const [names, next] = fieldChain(src, i);
      out.push(names.length ? { kind: 'field', names, offset: start } : { kind: 'dot', offset: start });
      i = next;
    } else if (c === '$') {
      let j = i + 1;
      while (IDENT.test(src[j] ?? '')) j++;
      const [fields, next] = fieldChain(src, j);
      out.push({ kind: 'variable', name: src.slice(i, j), fields, offset: start });
      i = next;
    } else if (IDENT.test(c)) {
      let j = i;
      while (IDENT.test(src[j] ?? '')) j++;
      out.push({ kind: 'ident', name: src.slice(i, j), offset: start });
      // A field chain right after an identifier or a parenthesis reads fields of its result, e.g. (.a).b.
      i = j;
    } else throw new GoTemplateError(`unexpected ${JSON.stringify(c)} in action`, i);
    if (out.at(-1)!.kind === 'rparen' && src[i] === '.') {
      const [names, next] = fieldChain(src, i);
      if (names.length) out.push({ kind: 'field', names, offset: i });
      i = next;
    }
  }
}

/** `}}` or ` -}}` at i: where the source goes on, and whether the text after it is trimmed. */
function closeAt(src: string, i: number): { next: number; trimAfter: boolean } | undefined {
  if (src.startsWith('}}', i)) return { next: i + 2, trimAfter: false };
  if (SPACE.test(src[i] ?? '')) {
    let j = i;
    while (SPACE.test(src[j] ?? '')) j++;
    if (src.startsWith('-}}', j)) return { next: j + 3, trimAfter: true };
  }
  return undefined;
}

function fieldChain(src: string, i: number): [string[], number] {
  const names: string[] = [];
  while (src[i] === '.') {
    let j = i + 1;
    while (IDENT.test(src[j] ?? '')) j++;
    if (j === i + 1) {
      if (names.length) throw new GoTemplateError('bad field: a dot with no name', i);
      return [names, j];
    }
    names.push(src.slice(i + 1, j));
    i = j;
  }
  return [names, i];
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', a: '\x07', b: '\b', f: '\f', v: '\v', "'": "'" };

/** A Go interpreted string literal starting at i: its value and the index after it. */
function goString(src: string, i: number): [string, number] {
  let out = '';
  for (let j = i + 1; j < src.length; j++) {
    const c = src[j]!;
    if (c === '"') return [out, j + 1];
    if (c === '\n') break;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = src[++j] ?? '';
    if (e in ESCAPES) out += ESCAPES[e];
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = src.slice(j + 1, j + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw new GoTemplateError(`bad escape \\${e}${hex}`, j);
      out += String.fromCodePoint(parseInt(hex, 16));
      j += n;
    } else throw new GoTemplateError(`unknown escape sequence \\${e}`, j);
  }
  throw new GoTemplateError('unterminated quoted string', i);
}
