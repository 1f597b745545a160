// Template actions in a task file's text. ACR renders the whole file as a Go template before reading it as
// YAML, so a value could inject YAML (a newline and `- cmd: …`). Here each action is replaced by a
// placeholder of the same length, the YAML is parsed, and only then do placeholders become their values,
// inside the strings they belong to: a value can never change the file's structure, and line and column
// numbers of YAML errors stay those of the file the user wrote.
import { IssueList } from './errors.js';
import { TASK_FILE_LIMITS } from './limits.js';
import type { LinePositions } from './positions.js';
import { evaluate, parseAction, TemplateError, type TemplateContext } from './template-expr.js';

export interface Expansion {
  value: string;
  /** Its last function was quote: a scalar that is just this action reads as the unquoted value, as in ACR. */
  unquoted?: string;
}

export interface ScanResult {
  /** The file with each action replaced by a placeholder. */
  text: string;
  expansions: Expansion[];
  /** Every {{.Secrets.X}}, with where it is: the loader checks each is declared and has a value. */
  secretRefs: { name: string; at: { line: number; column: number } }[];
}

// Private-use characters: a start mark, the index in hex digits U+E010–U+E01F, padding, an end mark.
const START = '\uE000';
const END = '\uE001';
const PAD = '\uE002';
const PLACEHOLDER = /\uE000([\uE010-\uE01F]+)\uE002*\uE001/g;
export const RESERVED_CHARS = /[\uE000-\uE01F]/;
const MAX_ACTION = 2000;

function placeholder(index: number, length: number): string {
  const digits = [...index.toString(16)].map((d) => String.fromCharCode(0xe010 + parseInt(d, 16))).join('');
  return START + digits + PAD.repeat(Math.max(0, length - digits.length - 2)) + END;
}

/** Finds and evaluates every `{{ … }}`; problems go to `issues` with the action's position. */
export function scanTemplates(source: string, ctx: TemplateContext, issues: IssueList, positions: LinePositions): ScanResult {
  const expansions: Expansion[] = [];
  const secretRefs: ScanResult['secretRefs'] = [];
  let out = '';
  let from = 0;
  for (let start = source.indexOf('{{'); start !== -1; start = source.indexOf('{{', from)) {
    out += source.slice(from, start);
    const end = actionEnd(source, start + 2);
    if (end === -1) {
      issues.add(positions.at(start), 'unclosed template action: {{ without }}');
      return { text: out + source.slice(start), expansions, secretRefs };
    }
    const whole = source.slice(start, end + 2);
    from = end + 2;
    if (expansions.length >= TASK_FILE_LIMITS.templates) {
      issues.add(positions.at(start), `more than ${TASK_FILE_LIMITS.templates} template actions`);
      return { text: out + source.slice(start), expansions, secretRefs };
    }
    const index = expansions.length;
    expansions.push({ value: '' });
    out += whole.length >= index.toString(16).length + 2 ? placeholder(index, whole.length) : whole;
    try {
      if (whole.length > MAX_ACTION) throw new TemplateError(`template action longer than ${MAX_ACTION} characters`);
      const pipeline = parseAction(source.slice(start + 2, end).trim());
      if (pipeline.operand.kind === 'Secrets') secretRefs.push({ name: pipeline.operand.path.join('.'), at: positions.at(start) });
      const value = evaluate(pipeline, ctx);
      expansions[index] = pipeline.functions.at(-1) === 'quote' ? { value, unquoted: evaluate({ ...pipeline, functions: pipeline.functions.slice(0, -1) }, ctx) } : { value };
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      issues.add(positions.at(start), `${err.message} in ${whole.length > 80 ? whole.slice(0, 77) + '...' : whole}`);
    }
  }
  return { text: out + source.slice(from), expansions, secretRefs };
}

/** Index of the `}}` closing an action that starts at `from`, skipping string literals; -1 if none. */
function actionEnd(source: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < source.length && i < from + MAX_ACTION * 4; i++) {
    const c = source[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      else if (c === '\n' && quote === '"') return -1;
    } else if (c === '"' || c === '`') quote = c;
    else if (c === '}' && source[i + 1] === '}') return i;
  }
  return -1;
}

/** Replaces the placeholders in one string by their values; a string that is one quoted action reads unquoted. */
export function expandPlaceholders(text: string, expansions: readonly Expansion[]): string {
  const whole = /^\uE000([\uE010-\uE01F]+)\uE002*\uE001$/.exec(text);
  if (whole) {
    const e = expansions[indexOf(whole[1]!)];
    if (e?.unquoted !== undefined) return e.unquoted;
  }
  return text.replace(PLACEHOLDER, (_m, digits: string) => expansions[indexOf(digits)]?.value ?? '');
}

export const PLACEHOLDER_PATTERN = PLACEHOLDER.source;

function indexOf(digits: string): number {
  return parseInt([...digits].map((c) => (c.charCodeAt(0) - 0xe010).toString(16)).join(''), 16);
}
