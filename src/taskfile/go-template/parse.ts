// The parse tree of a Go template: text, actions that print a pipeline, and if/range/with blocks with their
// else (and else-if) branches. A pipeline is commands joined by `|`, optionally declaring or assigning
// variables; each command's result is the last argument of the next.
import { GoTemplateError, lex, type Token } from './lex.js';

export type Arg =
  | { kind: 'dot'; offset: number }
  | { kind: 'field'; receiver?: Arg; names: string[]; offset: number }
  | { kind: 'variable'; name: string; fields: string[]; offset: number }
  | { kind: 'function'; name: string; offset: number }
  | { kind: 'literal'; value: string | number | boolean | null; offset: number }
  | { kind: 'pipeline'; pipeline: Pipeline; offset: number };

export interface Command {
  args: Arg[];
  offset: number;
}

export interface Pipeline {
  /** Variables declared (`:=`) or assigned (`=`) from the pipeline's value; `range` may name two. */
  vars: string[];
  assign: boolean;
  commands: Command[];
  offset: number;
}

export interface Block {
  kind: 'if' | 'with' | 'range';
  pipeline: Pipeline;
  body: Node[];
  /** The {{else}} branch; an {{else if}} is a block alone in it. */
  otherwise: Node[];
  offset: number;
}

/** An action that prints: its pipeline, and where `{{ … }}` starts and ends in the source. */
export interface Action {
  kind: 'action';
  pipeline: Pipeline;
  start: number;
  end: number;
}

export type Node = { kind: 'text'; value: string } | Action | Block | { kind: 'break' | 'continue'; offset: number };

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

export function parseTemplate(src: string): Node[] {
  const parser = new Parser(lex(src));
  const { nodes, end } = parser.list(0);
  if (end) throw new GoTemplateError(`unexpected {{${end.word}}}`, end.offset);
  return nodes;
}

interface Stop {
  word: 'end' | 'else';
  offset: number;
  /** `{{else if …}}` / `{{else with …}}`: the chained block. */
  chained?: Node;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private next(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw new GoTemplateError('unexpected end of template', this.tokens.at(-1)?.offset ?? 0);
    return t;
  }
  private expect(kind: Token['kind'], what: string): Token {
    const t = this.next();
    if (t.kind !== kind) throw new GoTemplateError(`unexpected ${describe(t)} ${what}`, t.offset);
    return t;
  }

  /** Nodes up to an {{end}} or {{else}} (returned as `end`) or the end of input. */
  list(depth: number, loop = false): { nodes: Node[]; end?: Stop } {
    const nodes: Node[] = [];
    for (let t = this.peek(); t; t = this.peek()) {
      this.i++;
      if (t.kind === 'text') {
        nodes.push({ kind: 'text', value: t.value });
        continue;
      }
      if (t.kind !== 'open') throw new GoTemplateError(`unexpected ${describe(t)}`, t.offset);
      const first = this.peek();
      if (first?.kind === 'comment') {
        this.i++;
        this.expect('close', 'after comment');
        continue;
      }
      if (first?.kind === 'ident' && KEYWORDS.has(first.name)) {
        this.i++;
        const word = first.name;
        if (word === 'end') {
          this.expect('close', 'in end');
          if (depth === 0) throw new GoTemplateError('unexpected {{end}}', first.offset);
          return { nodes, end: { word: 'end', offset: first.offset } };
        }
        if (word === 'else') {
          if (depth === 0) throw new GoTemplateError('unexpected {{else}}', first.offset);
          const chained = this.peek();
          if (chained?.kind === 'ident' && (chained.name === 'if' || chained.name === 'with')) {
            this.i++;
            // else if: the rest is one more block, sharing the outer {{end}}.
            const block = this.block(chained.name, chained.offset, depth, loop);
            return { nodes, end: { word: 'else', offset: first.offset, chained: block } };
          }
          this.expect('close', 'in else');
          return { nodes, end: { word: 'else', offset: first.offset } };
        }
        if (word === 'if' || word === 'with' || word === 'range') {
          nodes.push(this.block(word, first.offset, depth, loop));
          continue;
        }
        if (word === 'break' || word === 'continue') {
          if (!loop) throw new GoTemplateError(`{{${word}}} outside {{range}}`, first.offset);
          this.expect('close', `in ${word}`);
          nodes.push({ kind: word, offset: first.offset });
          continue;
        }
        throw new GoTemplateError(`{{${word}}} is not supported in task files`, first.offset);
      }
      const pipeline = this.pipeline('close', true);
      nodes.push({ kind: 'action', pipeline, start: t.offset, end: this.tokens[this.i - 1]!.offset + 2 });
    }
    if (depth > 0) throw new GoTemplateError('unexpected end of template: missing {{end}}', this.tokens.at(-1)?.offset ?? 0);
    return { nodes };
  }

  private block(word: Block['kind'], offset: number, depth: number, loop: boolean): Block {
    const pipeline = this.pipeline('close', true, word === 'range' ? 2 : 1);
    const inLoop = loop || word === 'range';
    const body = this.list(depth + 1, inLoop);
    if (!body.end) throw new GoTemplateError(`unexpected end of template: {{${word}}} without {{end}}`, offset);
    let otherwise: Node[] = [];
    let end = body.end!;
    if (end.word === 'else') {
      if (end.chained) otherwise = [end.chained];
      else {
        const rest = this.list(depth + 1, loop);
        if (rest.end?.word !== 'end') throw new GoTemplateError(`expected {{end}} after {{else}}`, rest.end?.offset ?? offset);
        otherwise = rest.nodes;
        end = rest.end;
      }
    }
    return { kind: word, pipeline, body: body.nodes, otherwise, offset };
  }

  /** A pipeline up to `stop`; `decl` allows a leading `$x :=` (or `$i, $e :=` when up to 2 in range). */
  private pipeline(stop: 'close' | 'rparen', decl: boolean, maxVars = 1): Pipeline {
    const start = this.peek();
    const offset = start?.offset ?? 0;
    const vars: string[] = [];
    let assign = false;
    if (decl && start?.kind === 'variable' && start.fields.length === 0) {
      const save = this.i;
      const names: string[] = [];
      for (;;) {
        const v = this.peek();
        if (v?.kind !== 'variable' || v.fields.length) break;
        this.i++;
        names.push(v.name);
        const sep = this.peek();
        if (sep?.kind === 'comma' && names.length < maxVars) {
          this.i++;
          continue;
        }
        if (sep?.kind === 'declare' || sep?.kind === 'assign') {
          this.i++;
          vars.push(...names);
          assign = sep.kind === 'assign';
        }
        break;
      }
      if (vars.length === 0) this.i = save;
    }
    const commands: Command[] = [];
    for (;;) {
      commands.push(this.command(stop));
      const t = this.next();
      if (t.kind === stop) break;
      if (t.kind !== 'pipe') throw new GoTemplateError(`unexpected ${describe(t)} in operand`, t.offset);
    }
    return { vars, assign, commands, offset };
  }

  private command(stop: 'close' | 'rparen'): Command {
    const args: Arg[] = [];
    const offset = this.peek()?.offset ?? 0;
    for (let t = this.peek(); t && t.kind !== stop && t.kind !== 'pipe'; t = this.peek()) {
      this.i++;
      args.push(this.operand(t, stop));
    }
    if (args.length === 0) throw new GoTemplateError('missing value for command', offset);
    return { args, offset };
  }

  private operand(t: Token, stop: 'close' | 'rparen'): Arg {
    let arg: Arg;
    switch (t.kind) {
      case 'dot':
        arg = { kind: 'dot', offset: t.offset };
        break;
      case 'field':
        arg = { kind: 'field', names: t.names, offset: t.offset };
        break;
      case 'variable':
        arg = { kind: 'variable', name: t.name, fields: t.fields, offset: t.offset };
        break;
      case 'string':
        arg = { kind: 'literal', value: t.value, offset: t.offset };
        break;
      case 'number':
        arg = { kind: 'literal', value: t.value, offset: t.offset };
        break;
      case 'ident':
        if (t.name === 'true' || t.name === 'false') arg = { kind: 'literal', value: t.name === 'true', offset: t.offset };
        else if (t.name === 'nil') arg = { kind: 'literal', value: null, offset: t.offset };
        else if (KEYWORDS.has(t.name)) throw new GoTemplateError(`unexpected ${t.name} in operand`, t.offset);
        else arg = { kind: 'function', name: t.name, offset: t.offset };
        break;
      case 'lparen':
        arg = { kind: 'pipeline', pipeline: this.pipeline('rparen', true), offset: t.offset };
        break;
      default:
        throw new GoTemplateError(`unexpected ${describe(t)} in ${stop === 'close' ? 'command' : 'parenthesized pipeline'}`, t.offset);
    }
    const after = this.peek();
    if (arg.kind === 'pipeline' && after?.kind === 'field') {
      this.i++;
      return { kind: 'field', receiver: arg, names: after.names, offset: after.offset };
    }
    return arg;
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'close':
      return '}}';
    case 'open':
      return '{{';
    case 'ident':
      return JSON.stringify(t.name);
    case 'string':
      return 'quoted string';
    default:
      return `<${t.kind}>`;
  }
}
