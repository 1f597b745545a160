// The functions a task file's template may call: text/template's built-ins and the Sprig functions ACR
// loads (sprig.TxtFuncMap) that make sense here, each with Sprig's argument order (the piped value last:
// `.Values.tag | default "latest"` is `default "latest" .Values.tag`). Sprig's env and expandenv are
// refused: a task file must not read the worker's environment. Functions of time and randomness are left
// out: a task file checked at submit and rendered again by the worker must render the same.
import { createHash } from 'node:crypto';
import { goQuote } from './quote.js';
import { formatNumber, isMap, printValue, strval, truthy, typeName, type GoValue } from './values.js';

export type TemplateFunction = (...args: any[]) => GoValue;

/** Functions that get their arguments as thunks: and/or stop at the first that decides (Go 1.18+). */
export const LAZY = new Set(['and', 'or']);

const num = (v: GoValue, fn: string): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === undefined || v === null) return 0;
  throw new Error(`${fn}: ${typeName(v)} is not a number`);
};
/** Sprig's toInt64-style conversions truncate toward zero. */
const int = (v: GoValue, fn: string) => Math.trunc(num(v, fn));

function compare(a: GoValue, b: GoValue, op: string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new Error(`incompatible types for comparison: ${typeName(a)} ${op} ${typeName(b)}`);
}

function equal(a: GoValue, b: GoValue): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  if (typeof a !== typeof b || typeof a === 'object') {
    if (typeof a === 'object' || typeof b === 'object') throw new Error('non-comparable types');
    throw new Error(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);
  }
  return a === b;
}

function length(v: GoValue): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new Error(`len of type ${typeName(v)}`);
}

function index(v: GoValue, ...keys: GoValue[]): GoValue {
  let out = v;
  for (const key of keys) {
    if (Array.isArray(out)) {
      const i = num(key, 'index');
      if (!Number.isInteger(i) || i < 0 || i >= out.length) throw new Error(`index out of range: ${printValue(key)}`);
      out = out[i];
    } else if (isMap(out)) out = Object.hasOwn(out, strval(key)) ? out[strval(key)] : undefined;
    else if (out === undefined || out === null) throw new Error('index of untyped nil');
    else throw new Error(`can't index item of type ${typeName(out)}`);
  }
  return out;
}

/** fmt.Sprintf for the verbs task files use: %s %v %d %q %x %X %f %t %%, with width and precision. */
export function sprintf(format: string, ...args: GoValue[]): string {
  let n = 0;
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (whole, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (n >= args.length) return `%!${verb}(MISSING)`;
    const a = args[n++];
    let s: string;
    switch (verb) {
      case 's':
      case 'v':
        s = a === undefined || a === null ? '<nil>' : strval(a);
        if (prec !== undefined && verb === 's') s = s.slice(0, Number(prec));
        break;
      case 'd':
        if (typeof a !== 'number') return `%!d(${typeName(a)}=${strval(a)})`;
        s = String(Math.trunc(a));
        break;
      case 'f':
        if (typeof a !== 'number') return `%!f(${typeName(a)}=${strval(a)})`;
        s = a.toFixed(prec === undefined ? 6 : Number(prec));
        break;
      case 'q':
        s = goQuote(strval(a));
        break;
      case 'x':
      case 'X':
        s = typeof a === 'number' ? Math.trunc(a).toString(16) : Buffer.from(strval(a)).toString('hex');
        if (verb === 'X') s = s.toUpperCase();
        break;
      case 't':
        s = String(a);
        break;
      default:
        return `%!${verb}(${typeName(a)}=${strval(a)})`;
    }
    if (width && s.length < Number(width)) s = flags.includes('-') ? s.padEnd(Number(width)) : s.padStart(Number(width), flags.includes('0') && verb !== 's' ? '0' : ' ');
    void whole;
    return s;
  }) + (n < args.length ? `%!(EXTRA ${args.slice(n).map((a) => `${typeName(a)}=${strval(a)}`).join(', ')})` : '');
}

/** Go's fmt.Sprint: spaces only between operands when neither is a string. */
function sprint(args: GoValue[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += a === undefined || a === null ? '<nil>' : strval(a);
  });
  return out;
}

function isEmpty(v: GoValue): boolean {
  return !truthy(v);
}

function toJson(v: GoValue, pretty: boolean): string {
  return JSON.stringify(v ?? null, null, pretty ? 2 : undefined) ?? 'null';
}

function regex(pattern: GoValue): RegExp {
  try {
    return new RegExp(strval(pattern), 'g');
  } catch (err) {
    throw new Error(`bad regular expression: ${(err as Error).message}`);
  }
}

const trimSet = (s: string, cutset: string) => {
  const set = new Set([...cutset]);
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  while (a < b && set.has(chars[a]!)) a++;
  while (b > a && set.has(chars[b - 1]!)) b--;
  return chars.slice(a, b).join('');
};

export const FUNCTIONS: Record<string, TemplateFunction | null> = {
  // text/template's built-ins.
  and: (...args: (() => GoValue)[]) => {
    let v: GoValue;
    for (const a of args) if (!truthy((v = a()))) return v;
    return v;
  },
  or: (...args: (() => GoValue)[]) => {
    let v: GoValue;
    for (const a of args) if (truthy((v = a()))) return v;
    return v;
  },
  not: (v: GoValue) => !truthy(v),
  len: length,
  index,
  slice: (v: GoValue, ...ix: GoValue[]) => {
    const [a, b] = ix.map((i) => int(i, 'slice'));
    if (typeof v === 'string' || Array.isArray(v)) return v.slice(a ?? 0, b ?? v.length);
    throw new Error(`can't slice item of type ${typeName(v)}`);
  },
  print: (...args: GoValue[]) => sprint(args),
  println: (...args: GoValue[]) => `${args.map((a) => (a === undefined || a === null ? '<nil>' : strval(a))).join(' ')}\n`,
  printf: (format: GoValue, ...args: GoValue[]) => sprintf(strval(format), ...args),
  eq: (a: GoValue, ...bs: GoValue[]) => {
    if (bs.length === 0) throw new Error('missing argument for comparison');
    return bs.some((b) => equal(a, b));
  },
  ne: (a: GoValue, b: GoValue) => !equal(a, b),
  lt: (a: GoValue, b: GoValue) => compare(a, b, '<') < 0,
  le: (a: GoValue, b: GoValue) => compare(a, b, '<=') <= 0,
  gt: (a: GoValue, b: GoValue) => compare(a, b, '>') > 0,
  ge: (a: GoValue, b: GoValue) => compare(a, b, '>=') >= 0,
  urlquery: (...args: GoValue[]) => encodeURIComponent(sprint(args)).replace(/%20/g, '+'),
  js: (...args: GoValue[]) => sprint(args).replace(/[\\'"<>&=]/g, (c) => `\\u00${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`),
  html: (...args: GoValue[]) => sprint(args).replace(/[&'<>"\0]/g, (c) => ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\0': '\uFFFD' })[c]!),

  // Sprig: defaults and flow.
  default: (d: GoValue, ...given: GoValue[]) => (given.length === 0 || isEmpty(given[0]) ? d : given[0]),
  empty: isEmpty,
  coalesce: (...args: GoValue[]) => args.find((a) => !isEmpty(a)),
  ternary: (yes: GoValue, no: GoValue, cond: GoValue) => (cond === true ? yes : no),
  fail: (msg: GoValue) => {
    throw new Error(strval(msg));
  },
  required: (msg: GoValue, v: GoValue) => {
    if (v === undefined || v === null || v === '') throw new Error(strval(msg));
    return v;
  },

  // Sprig: strings.
  trim: (s: GoValue) => strval(s).trim(),
  trimAll: (cutset: GoValue, s: GoValue) => trimSet(strval(s), strval(cutset)),
  trimPrefix: (prefix: GoValue, s: GoValue) => (strval(s).startsWith(strval(prefix)) ? strval(s).slice(strval(prefix).length) : strval(s)),
  trimSuffix: (suffix: GoValue, s: GoValue) => (strval(suffix) && strval(s).endsWith(strval(suffix)) ? strval(s).slice(0, -strval(suffix).length) : strval(s)),
  upper: (s: GoValue) => strval(s).toUpperCase(),
  lower: (s: GoValue) => strval(s).toLowerCase(),
  title: (s: GoValue) => strval(s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, sep: string, c: string) => sep + c.toUpperCase()),
  untitle: (s: GoValue) => strval(s).replace(/(^|\s)(\S)/g, (_m, sep: string, c: string) => sep + c.toLowerCase()),
  repeat: (n: GoValue, s: GoValue) => strval(s).repeat(Math.max(0, int(n, 'repeat'))),
  substr: (start: GoValue, end: GoValue, s: GoValue) => {
    const str = strval(s);
    const a = int(start, 'substr');
    const b = int(end, 'substr');
    return a < 0 ? str.slice(0, b) : b < 0 || b > str.length ? str.slice(a) : str.slice(a, b);
  },
  trunc: (n: GoValue, s: GoValue) => {
    const c = int(n, 'trunc');
    const str = strval(s);
    return c < 0 ? (-c < str.length ? str.slice(str.length + c) : str) : str.slice(0, c);
  },
  nospace: (s: GoValue) => strval(s).replace(/\s/g, ''),
  contains: (sub: GoValue, s: GoValue) => strval(s).includes(strval(sub)),
  hasPrefix: (p: GoValue, s: GoValue) => strval(s).startsWith(strval(p)),
  hasSuffix: (p: GoValue, s: GoValue) => strval(s).endsWith(strval(p)),
  quote: (...args: GoValue[]) => args.filter((a) => a !== undefined && a !== null).map((a) => goQuote(strval(a))).join(' '),
  squote: (...args: GoValue[]) => args.filter((a) => a !== undefined && a !== null).map((a) => `'${strval(a)}'`).join(' '),
  cat: (...args: GoValue[]) => args.filter((a) => a !== undefined && a !== null).map(strval).join(' '),
  indent: (n: GoValue, s: GoValue) => strval(s).replace(/^/gm, ' '.repeat(Math.max(0, int(n, 'indent')))),
  nindent: (n: GoValue, s: GoValue) => `\n${strval(s).replace(/^/gm, ' '.repeat(Math.max(0, int(n, 'nindent'))))}`,
  replace: (old: GoValue, repl: GoValue, s: GoValue) => strval(s).split(strval(old)).join(strval(repl)),
  split: (sep: GoValue, s: GoValue) => Object.fromEntries(strval(s).split(strval(sep)).map((part, i) => [`_${i}`, part])),
  splitList: (sep: GoValue, s: GoValue) => strval(s).split(strval(sep)),
  join: (sep: GoValue, list: GoValue) => (Array.isArray(list) ? list.map(strval) : [strval(list)]).join(strval(sep)),
  toString: strval,
  toStrings: (list: GoValue) => (Array.isArray(list) ? list.map(strval) : [strval(list)]),
  regexMatch: (re: GoValue, s: GoValue) => new RegExp(strval(re)).test(strval(s)),
  regexFind: (re: GoValue, s: GoValue) => new RegExp(strval(re)).exec(strval(s))?.[0] ?? '',
  regexReplaceAll: (re: GoValue, s: GoValue, repl: GoValue) => strval(s).replace(regex(re), strval(repl).replace(/\$\{?(\d+)\}?/g, '$$$1')),
  regexReplaceAllLiteral: (re: GoValue, s: GoValue, repl: GoValue) => strval(s).replace(regex(re), () => strval(repl)),

  // Sprig: encodings.
  b64enc: (s: GoValue) => Buffer.from(strval(s), 'utf8').toString('base64'),
  b64dec: (s: GoValue) => {
    const str = strval(s);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(str) || str.length % 4 !== 0) return 'illegal base64 data at input byte 0';
    return Buffer.from(str, 'base64').toString('utf8');
  },
  sha256sum: (s: GoValue) => createHash('sha256').update(strval(s)).digest('hex'),
  sha1sum: (s: GoValue) => createHash('sha1').update(strval(s)).digest('hex'),
  toJson: (v: GoValue) => toJson(v, false),
  toPrettyJson: (v: GoValue) => toJson(v, true),

  // Sprig: numbers.
  add: (...args: GoValue[]) => args.reduce<number>((a, b) => a + int(b, 'add'), 0),
  add1: (v: GoValue) => int(v, 'add1') + 1,
  sub: (a: GoValue, b: GoValue) => int(a, 'sub') - int(b, 'sub'),
  mul: (...args: GoValue[]) => args.reduce<number>((a, b) => a * int(b, 'mul'), 1),
  div: (a: GoValue, b: GoValue) => {
    if (int(b, 'div') === 0) throw new Error('integer divide by zero');
    return Math.trunc(int(a, 'div') / int(b, 'div'));
  },
  mod: (a: GoValue, b: GoValue) => {
    if (int(b, 'mod') === 0) throw new Error('integer divide by zero');
    return int(a, 'mod') % int(b, 'mod');
  },
  max: (...args: GoValue[]) => Math.max(...args.map((a) => int(a, 'max'))),
  min: (...args: GoValue[]) => Math.min(...args.map((a) => int(a, 'min'))),
  int: (v: GoValue) => int(v, 'int'),
  int64: (v: GoValue) => int(v, 'int64'),
  float64: (v: GoValue) => num(v, 'float64'),
  atoi: (v: GoValue) => (/^[-+]?\d+$/.test(strval(v)) ? Number(strval(v)) : 0),
  until: (n: GoValue) => Array.from({ length: Math.max(0, int(n, 'until')) }, (_, i) => i),
  toDecimal: (v: GoValue) => (/^[0-7]+$/.test(strval(v)) ? parseInt(strval(v), 8) : 0),
  formatNumber: (v: GoValue) => formatNumber(num(v, 'formatNumber')),

  // Sprig: lists and dicts.
  list: (...args: GoValue[]) => args,
  first: (l: GoValue) => (Array.isArray(l) ? l[0] : undefined),
  last: (l: GoValue) => (Array.isArray(l) ? l.at(-1) : undefined),
  rest: (l: GoValue) => (Array.isArray(l) ? l.slice(1) : []),
  initial: (l: GoValue) => (Array.isArray(l) ? l.slice(0, -1) : []),
  has: (needle: GoValue, l: GoValue) => Array.isArray(l) && l.some((e) => e === needle),
  uniq: (l: GoValue) => (Array.isArray(l) ? [...new Set(l)] : []),
  compact: (l: GoValue) => (Array.isArray(l) ? l.filter((e) => !isEmpty(e)) : []),
  dict: (...kv: GoValue[]) => {
    const out: Record<string, GoValue> = {};
    for (let i = 0; i < kv.length; i += 2) out[strval(kv[i])] = kv[i + 1] ?? '';
    return out;
  },
  get: (d: GoValue, key: GoValue) => (isMap(d) && Object.hasOwn(d, strval(key)) ? d[strval(key)] : ''),
  hasKey: (d: GoValue, key: GoValue) => isMap(d) && Object.hasOwn(d, strval(key)),
  keys: (...ds: GoValue[]) => ds.flatMap((d) => (isMap(d) ? Object.keys(d) : [])),
  values: (d: GoValue) => (isMap(d) ? Object.values(d) : []),
  pluck: (key: GoValue, ...ds: GoValue[]) => ds.flatMap((d) => (isMap(d) && Object.hasOwn(d, strval(key)) ? [d[strval(key)]] : [])),
  kindOf: (v: GoValue) => (Array.isArray(v) ? 'slice' : isMap(v) ? 'map' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float64') : v === undefined || v === null ? 'invalid' : typeof v === 'boolean' ? 'bool' : 'string'),
  typeOf: typeName,

  // Refused: the worker's environment is not the task file's to read.
  env: null,
  expandenv: null,
};
