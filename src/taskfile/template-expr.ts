// One Go-template action of a task file, `{{ .Run.ID }}`, `{{.Values.tag | quote}}`, `{{"text" | b64enc}}`:
// the subset ACR task files use. Parsed into a pipeline, then evaluated against a run's variables, values
// and secrets. An unknown variable is an error, never an empty string (Go's missingkey=error).
import { RUN_VARIABLE_NAMES, type RunVariables } from '../tasks/template.js';

export const TEMPLATE_FUNCTIONS = ['b64enc', 'b64dec', 'quote'] as const;
type TemplateFunction = (typeof TEMPLATE_FUNCTIONS)[number];

export type Operand = { kind: 'Run' | 'Values' | 'Secrets'; path: string[] } | { kind: 'literal'; value: string };

export interface Pipeline {
  operand: Operand;
  functions: TemplateFunction[];
}

export interface TemplateContext {
  run: Partial<RunVariables>;
  values: Record<string, unknown>;
  /** The value of a secret; undefined when the run has none. */
  secret: (name: string) => string | undefined;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

const FIELD = /^\.(Run|Values|Secrets)((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses what is between `{{` and `}}`. */
export function parseAction(inner: string): Pipeline {
  if (/^-\s|\s-$/.test(inner)) throw new TemplateError('whitespace trim markers ({{- and -}}) are not supported');
  const parts = splitPipes(inner).map((p) => p.trim());
  const first = parts[0] ?? '';
  if (first === '') throw new TemplateError('empty template action');
  const functions = parts.slice(1).map((name) => {
    if (!(TEMPLATE_FUNCTIONS as readonly string[]).includes(name)) {
      throw new TemplateError(`unknown function ${JSON.stringify(name)}; supported: ${TEMPLATE_FUNCTIONS.join(', ')}`);
    }
    return name as TemplateFunction;
  });
  return { operand: parseOperand(first), functions };
}

function parseOperand(text: string): Operand {
  if (text.startsWith('"')) return { kind: 'literal', value: parseGoString(text) };
  if (text.startsWith('`')) {
    if (text.length < 2 || !text.endsWith('`') || text.slice(1, -1).includes('`')) throw new TemplateError('unterminated raw string');
    return { kind: 'literal', value: text.slice(1, -1) };
  }
  const m = FIELD.exec(text);
  if (!m) {
    const word = text.split(/\s+/)[0] ?? text;
    if (IDENT.test(word)) throw new TemplateError(`template action ${JSON.stringify(word)} is not supported; use {{.Run.NAME}}, {{.Values.NAME}} or {{.Secrets.NAME}}`);
    throw new TemplateError(`cannot read ${JSON.stringify(text.slice(0, 60))}; expected {{.Run.NAME}}, {{.Values.NAME}}, {{.Secrets.NAME}} or a "string"`);
  }
  const path = m[2]!.slice(1).split('.');
  const kind = m[1] as 'Run' | 'Values' | 'Secrets';
  if (kind !== 'Values' && path.length > 1) throw new TemplateError(`.${kind}.${path.join('.')} has no fields`);
  return { kind, path };
}

/** Splits on `|` outside string literals. */
function splitPipes(inner: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (quote) {
      current += c;
      if (c === '\\' && quote === '"' && i + 1 < inner.length) current += inner[++i];
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === '`') {
      quote = c;
      current += c;
    } else if (c === '|') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

function parseGoString(text: string): string {
  let out = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      if (i !== text.length - 1) throw new TemplateError('unexpected text after a string');
      return out;
    }
    if (c === '\\') {
      const e = ESCAPES[text[i + 1] ?? ''];
      if (e === undefined) throw new TemplateError(`unsupported escape \\${text[i + 1] ?? ''} in a string`);
      out += e;
      i++;
    } else out += c;
  }
  throw new TemplateError('unterminated string');
}

/** Evaluates a pipeline to the text that replaces it. */
export function evaluate(p: Pipeline, ctx: TemplateContext): string {
  let value = operandValue(p.operand, ctx);
  for (const fn of p.functions) value = apply(fn, value);
  return value;
}

function operandValue(op: Operand, ctx: TemplateContext): string {
  if (op.kind === 'literal') return op.value;
  const name = op.path.join('.');
  if (op.kind === 'Run') {
    if (!(RUN_VARIABLE_NAMES as readonly string[]).includes(name)) {
      throw new TemplateError(`unknown run variable .Run.${name}; known: ${RUN_VARIABLE_NAMES.join(', ')}`);
    }
    const v = ctx.run[name];
    if (v === undefined) throw new TemplateError(`run variable .Run.${name} has no value for this run`);
    return v;
  }
  if (op.kind === 'Secrets') {
    const v = ctx.secret(name);
    if (v === undefined) throw new TemplateError(`secret .Secrets.${name} has no value: declare it under secrets and give its value with --set-secret ${name}=VALUE`);
    return v;
  }
  let v: unknown = ctx.values;
  for (const key of op.path) {
    v = v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
    if (v === undefined) throw new TemplateError(`no value .Values.${name}: give it with --set ${name}=VALUE or in a --values file`);
  }
  if (v === null || typeof v === 'object') throw new TemplateError(`.Values.${name} is a ${Array.isArray(v) ? 'list' : v === null ? 'null' : 'map'}, not a value`);
  return String(v);
}

function apply(fn: TemplateFunction, value: string): string {
  switch (fn) {
    case 'b64enc':
      return Buffer.from(value, 'utf8').toString('base64');
    case 'b64dec': {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) throw new TemplateError('b64dec: the value is not base64');
      return Buffer.from(value, 'base64').toString('utf8');
    }
    case 'quote':
      return goQuote(value);
  }
}

/** Go's %q for the characters a task file meets; valid YAML double-quoted text as well. */
export function goQuote(value: string): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
