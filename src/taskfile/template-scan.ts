// Template actions in a task file's text. ACR renders the whole file as a Go template (text/template with
// Sprig, go-template/) before reading it as YAML, so a value could inject YAML (a newline and `- cmd: …`).
// Here the file is rendered with every printed value replaced by a placeholder (of the action's length, so
// line and column numbers of YAML errors stay those of the file the user wrote wherever no block or trim
// marker removed text); the YAML is parsed, and only then do placeholders become their values, inside the
// strings they belong to: if, range, with and variables shape the file as in ACR, and a value never does.
import { IssueList } from './errors.js';
import { renderGoTemplate } from './go-template/exec.js';
import { GoTemplateError } from './go-template/lex.js';
import { parseTemplate, type Arg, type Node, type Pipeline } from './go-template/parse.js';
import { NO_VALUE, printValue } from './go-template/values.js';
import { TASK_FILE_LIMITS } from './limits.js';
import type { LinePositions } from './positions.js';
import { templateData } from './template-data.js';
import type { RunVariables } from '../tasks/template.js';

export interface TemplateContext {
  run: Partial<RunVariables>;
  values: Record<string, unknown>;
  /** The value of a secret; undefined when the run has none. */
  secret: (name: string) => string | undefined;
}

export interface Expansion {
  value: string;
  /** Its last function was quote: a scalar that is just this action reads as the unquoted value, as in ACR. */
  unquoted?: string;
}

export interface ScanResult {
  /** The file as rendered, with each printed value replaced by a placeholder. */
  text: string;
  expansions: Expansion[];
  /** Every {{.Secrets.X}}, with where it is: the loader checks each is declared and has a value. */
  secretRefs: { name: string; at: { line: number; column: number } }[];
  /** Printed values that were not given (rendered empty, as ACR renders them): `line:col: message` warnings. */
  missing: string[];
}

// Private-use characters: a start mark, the index in hex digits U+E010–U+E01F, padding, an end mark.
const START = '\uE000';
const END = '\uE001';
const PAD = '\uE002';
const PLACEHOLDER = /\uE000([\uE010-\uE01F]+)\uE002*\uE001/g;
export const RESERVED_CHARS = /[\uE000-\uE01F]/;
const MAX_ACTION = 2000;
/** Range iterations and printed actions together: a task file's loops are small. */
const MAX_STEPS = 100_000;
const MAX_MISSING_NOTES = 20;

function placeholder(index: number, length: number): string {
  const digits = [...index.toString(16)].map((d) => String.fromCharCode(0xe010 + parseInt(d, 16))).join('');
  return START + digits + PAD.repeat(Math.max(0, length - digits.length - 2)) + END;
}

/** Renders the file's template; problems go to `issues` with the position of the action at fault. */
export function scanTemplates(source: string, ctx: TemplateContext, issues: IssueList, positions: LinePositions): ScanResult {
  const expansions: Expansion[] = [];
  const secretRefs: ScanResult['secretRefs'] = [];
  const missing: string[] = [];
  const failed = (err: unknown): ScanResult => {
    if (!(err instanceof GoTemplateError)) throw err;
    issues.add(positions.at(err.offset), err.message);
    return { text: source, expansions, secretRefs, missing };
  };
  let nodes: Node[];
  try {
    nodes = parseTemplate(source);
  } catch (err) {
    return failed(err);
  }
  const secrets: Record<string, string> = {};
  for (const ref of secretFields(nodes)) {
    secretRefs.push({ name: ref.name, at: positions.at(ref.at) });
    const value = ctx.secret(ref.name);
    if (value !== undefined) secrets[ref.name] = value;
  }
  try {
    const text = renderGoTemplate(source, templateData(ctx.run, ctx.values, secrets), {
      maxSteps: MAX_STEPS,
      print: (value, action) => {
        if (action.end - action.start > MAX_ACTION) throw new GoTemplateError(`template action longer than ${MAX_ACTION} characters`, action.start);
        if (expansions.length >= TASK_FILE_LIMITS.templates) throw new GoTemplateError(`more than ${TASK_FILE_LIMITS.templates} template actions`, action.start);
        if (value === undefined && missing.length < MAX_MISSING_NOTES) {
          const at = positions.at(action.start);
          missing.push(`${at.line}:${at.column}: ${source.slice(action.start, Math.min(action.end, action.start + 80))} has no value and renders empty, as in ACR${givenBy(action.pipeline)}`);
        }
        const text = printValue(value).replaceAll(NO_VALUE, '');
        expansions.push({ value: text, ...unquotedOf(action.pipeline, text) });
        const index = expansions.length - 1;
        const length = action.end - action.start;
        // An action too short for its placeholder ({{.}} late in a long file) gets a longer one.
        return placeholder(index, Math.max(length, index.toString(16).length + 2));
      },
    });
    return { text, expansions, secretRefs, missing };
  } catch (err) {
    return failed(err);
  }
}

/** How a missing `.Values.X` is given, when the action prints one. */
function givenBy(p: Pipeline): string {
  const head = p.commands[0]?.args[0];
  return head?.kind === 'field' && !head.receiver && head.names[0] === 'Values' ? `; give it with --set ${head.names.slice(1).join('.')}=VALUE` : '';
}

/** A value whose last function is quote reads unquoted where it is a whole scalar, as YAML reads it in ACR. */
function unquotedOf(p: Pipeline, text: string): { unquoted?: string } {
  const last = p.commands.at(-1)?.args[0];
  if (last?.kind !== 'function' || last.name !== 'quote' || !text.startsWith('"')) return {};
  try {
    const unquoted: unknown = JSON.parse(text);
    return typeof unquoted === 'string' ? { unquoted } : {};
  } catch {
    return {};
  }
}

/** `.Secrets.X` and `$.Secrets.X` anywhere in the template (inside with and range too, when written from the root). */
function secretFields(nodes: Node[]): { name: string; at: number }[] {
  const out: { name: string; at: number }[] = [];
  // Each reference is placed at its action's {{, as errors about it are.
  const arg = (a: Arg, at: number): void => {
    const names = a.kind === 'field' && !a.receiver ? a.names : a.kind === 'variable' && a.name === '$' ? a.fields : [];
    if (names[0] === 'Secrets' && names[1]) out.push({ name: names[1], at });
    if (a.kind === 'pipeline') pipeline(a.pipeline, at);
    if (a.kind === 'field' && a.receiver) arg(a.receiver, at);
  };
  const pipeline = (p: Pipeline, at: number) => p.commands.forEach((c) => c.args.forEach((a) => arg(a, at)));
  const walk = (list: Node[]): void => {
    for (const n of list) {
      if (n.kind === 'action') pipeline(n.pipeline, n.start);
      if (n.kind === 'if' || n.kind === 'with' || n.kind === 'range') {
        pipeline(n.pipeline, n.offset);
        walk(n.body);
        walk(n.otherwise);
      }
    }
  };
  walk(nodes);
  return out;
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
