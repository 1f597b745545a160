// Runs a parsed Go template against data, with Go's rules: `.` is the data and changes inside with and
// range; `$` is the data; variables live until the end of the block that declared them; a missing map key
// is "no value" (ACR sets missingkey=zero and then deletes every "<no value>" from the output), while a
// field of nil, or of a string, is an error, as in Go.
import { GoTemplateError } from './lex.js';
import { parseTemplate, type Action, type Arg, type Block, type Node, type Pipeline } from './parse.js';
import { FUNCTIONS, LAZY, type TemplateFunction } from './funcs.js';
import { isMap, NO_VALUE, printValue, truthy, typeName, type GoValue } from './values.js';

export interface RenderOptions {
  /** Extra functions, or functions to refuse (null), beside text/template's built-ins and Sprig's. */
  functions?: Record<string, TemplateFunction | null>;
  /** How a printed value becomes text; fmt's %v by default. */
  print?: (value: GoValue, action: Action) => string;
  /** Range iterations and printed actions in all, so a template cannot loop for ever. */
  maxSteps?: number;
}

class Break {}
class Continue {}

/** Renders `src` as ACR does: text/template with Sprig, missingkey=zero, then every "<no value>" removed. */
export function renderGoTemplate(src: string, data: GoValue, opts: RenderOptions = {}): string {
  const nodes = parseTemplate(src);
  const functions = { ...FUNCTIONS, ...opts.functions };
  checkFunctions(nodes, functions);
  const state = new Exec(data, functions, opts.print ?? ((v) => printValue(v)), opts.maxSteps ?? 100_000);
  const out = state.list(nodes, data, [{ name: '$', value: data }]);
  return out.replaceAll(NO_VALUE, '');
}

/** Go refuses an unknown function when the template is parsed, wherever it is. */
function checkFunctions(nodes: Node[], functions: Record<string, TemplateFunction | null>): void {
  const pipeline = (p: Pipeline) => p.commands.forEach((c) => c.args.forEach(arg));
  const arg = (a: Arg): void => {
    if (a.kind === 'function' && !functions[a.name]) {
      const refused = a.name in functions;
      throw new GoTemplateError(refused ? `function "${a.name}" is not available in task files` : `function "${a.name}" not defined`, a.offset);
    }
    if (a.kind === 'pipeline') pipeline(a.pipeline);
    if (a.kind === 'field' && a.receiver) arg(a.receiver);
  };
  for (const n of nodes) {
    if (n.kind === 'action') pipeline(n.pipeline);
    if (n.kind === 'if' || n.kind === 'with' || n.kind === 'range') {
      pipeline(n.pipeline);
      checkFunctions(n.body, functions);
      checkFunctions(n.otherwise, functions);
    }
  }
}

interface Variable {
  name: string;
  value: GoValue;
}

class Exec {
  private steps = 0;
  constructor(
    private readonly root: GoValue,
    private readonly functions: Record<string, TemplateFunction | null>,
    private readonly print: (v: GoValue, action: Action) => string,
    private readonly maxSteps: number,
  ) {}

  private step(offset: number): void {
    if (++this.steps > this.maxSteps) throw new GoTemplateError(`the template ran more than ${this.maxSteps} steps`, offset);
  }

  /** Runs nodes; variables they declare are dropped at the end (a block's scope). */
  list(nodes: Node[], dot: GoValue, vars: Variable[]): string {
    const mark = vars.length;
    let out = '';
    try {
      for (const n of nodes) out += this.node(n, dot, vars);
    } finally {
      vars.length = mark;
    }
    return out;
  }

  private node(n: Node, dot: GoValue, vars: Variable[]): string {
    switch (n.kind) {
      case 'text':
        return n.value;
      case 'action': {
        this.step(n.pipeline.offset);
        const value = this.pipeline(n.pipeline, dot, vars);
        return n.pipeline.vars.length ? '' : this.print(value, n);
      }
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
      case 'if':
      case 'with': {
        const mark = vars.length;
        try {
          const value = this.pipeline(n.pipeline, dot, vars);
          if (truthy(value)) return this.list(n.body, n.kind === 'with' ? value : dot, vars);
          return this.list(n.otherwise, dot, vars);
        } finally {
          vars.length = mark;
        }
      }
      case 'range':
        return this.range(n, dot, vars);
    }
  }

  private range(n: Block, dot: GoValue, vars: Variable[]): string {
    const mark = vars.length;
    const { vars: names } = n.pipeline;
    try {
      const value = this.pipeline({ ...n.pipeline, vars: [] }, dot, vars);
      let entries: [GoValue, GoValue][];
      if (Array.isArray(value)) entries = value.map((e, i) => [i, e]);
      else if (isMap(value)) entries = Object.keys(value).sort().map((k) => [k, value[k]]);
      else if (typeof value === 'number' && Number.isInteger(value)) entries = Array.from({ length: Math.max(0, value) }, (_, i) => [i, i]);
      else if (value === undefined || value === null) entries = [];
      else throw new GoTemplateError(`range can't iterate over ${printValue(value)}`, n.offset);
      if (entries.length === 0) return this.list(n.otherwise, dot, vars);
      let out = '';
      for (const [key, elem] of entries) {
        this.step(n.offset);
        const inner = vars.length;
        if (names.length === 1) vars.push({ name: names[0]!, value: elem });
        if (names.length === 2) vars.push({ name: names[0]!, value: key }, { name: names[1]!, value: elem });
        try {
          out += this.list(n.body, elem, vars);
        } catch (err) {
          if (err instanceof Break) break;
          if (!(err instanceof Continue)) throw err;
        } finally {
          vars.length = inner;
        }
      }
      return out;
    } finally {
      vars.length = mark;
    }
  }

  pipeline(p: Pipeline, dot: GoValue, vars: Variable[]): GoValue {
    let value: GoValue = undefined;
    let piped = false;
    for (const cmd of p.commands) {
      value = this.command(cmd.args, dot, vars, piped ? { value } : undefined);
      piped = true;
    }
    for (const name of p.vars) {
      if (p.assign) {
        const v = [...vars].reverse().find((x) => x.name === name);
        if (!v) throw new GoTemplateError(`undefined variable: ${name}`, p.offset);
        v.value = value;
      } else vars.push({ name, value });
    }
    return value;
  }

  private command(args: Arg[], dot: GoValue, vars: Variable[], piped: { value: GoValue } | undefined): GoValue {
    const [head, ...rest] = args;
    if (head!.kind === 'function') {
      const fn = this.functions[head!.name]!;
      const lazy = LAZY.has(head!.name);
      const thunks = rest.map((a) => () => this.arg(a, dot, vars));
      if (piped) thunks.push(() => piped.value);
      try {
        return lazy ? fn(...thunks) : fn(...thunks.map((t) => t()));
      } catch (err) {
        if (err instanceof GoTemplateError) throw err;
        throw new GoTemplateError(`error calling ${head!.name}: ${(err as Error).message}`, head!.offset);
      }
    }
    if (rest.length || piped) {
      throw new GoTemplateError(head!.kind === 'literal' || head!.kind === 'dot' ? `can't give argument to non-function ${describeArg(head!)}` : `${describeArg(head!)} is not a method but has arguments`, head!.offset);
    }
    return this.arg(head!, dot, vars);
  }

  private arg(a: Arg, dot: GoValue, vars: Variable[]): GoValue {
    switch (a.kind) {
      case 'dot':
        return dot;
      case 'literal':
        return a.value;
      case 'pipeline':
        return this.pipeline(a.pipeline, dot, [...vars]);
      case 'function':
        return this.command([a], dot, vars, undefined);
      case 'variable': {
        const v = a.name === '$' ? { value: this.root } : [...vars].reverse().find((x) => x.name === a.name);
        if (!v) throw new GoTemplateError(`undefined variable "${a.name}"`, a.offset);
        return fields(v.value, a.fields, a.offset);
      }
      case 'field':
        return fields(a.receiver ? this.arg(a.receiver, dot, vars) : dot, a.names, a.offset);
    }
  }
}

function fields(value: GoValue, names: string[], offset: number): GoValue {
  let v = value;
  for (const name of names) {
    if (isMap(v)) v = Object.hasOwn(v, name) ? v[name] : undefined;
    else if (v === undefined || v === null) throw new GoTemplateError(`nil pointer evaluating interface {}.${name}`, offset);
    else throw new GoTemplateError(`can't evaluate field ${name} in type ${typeName(v)}`, offset);
  }
  return v;
}

function describeArg(a: Arg): string {
  if (a.kind === 'literal') return JSON.stringify(a.value);
  if (a.kind === 'dot') return 'dot';
  if (a.kind === 'field') return `.${a.names.join('.')}`;
  if (a.kind === 'variable') return a.name;
  return 'value';
}
