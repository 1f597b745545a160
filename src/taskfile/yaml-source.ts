// A task file's YAML: parsed with the yaml package keeping every node's position, refused when it is not
// a plain document (several documents, unknown tags, duplicate keys, too deep, too many aliases), and able to
// say where any path (`steps.2.when.0`) or key is, for the errors found later.
import { isMap, isPair, isScalar, isSeq, Lexer, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { IssueList } from './errors.js';
import { TASK_FILE_LIMITS } from './limits.js';
import { LinePositions } from './positions.js';
import { findDeepNesting } from './source-checks.js';

export type PathKey = string | number;
export interface Position {
  line: number;
  column: number;
}

export interface YamlSource {
  value: unknown;
  /** Where the node at `path` starts; `key: true` points at its key rather than its value. */
  locate(path: readonly PathKey[], opts?: { key?: boolean }): Position;
}

export function parseYaml(text: string, issues: IssueList): YamlSource | undefined {
  const lines = new LineCounter();
  // Before the parser: its cost grows with nesting far faster than with size.
  const deepAt = findDeepNesting(text, TASK_FILE_LIMITS.depth);
  if (deepAt !== -1) {
    issues.add(new LinePositions(text).at(deepAt), `the YAML is nested more than ${TASK_FILE_LIMITS.depth} levels deep`);
    return undefined;
  }
  const dashes = flowDashes(text);
  let doc: Document.Parsed;
  try {
    doc = parseDocument(dashes.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, strict: true, stringKeys: true });
  } catch (err) {
    // The parser recurses per nesting level: a file of ten thousand `[` overflows the stack.
    if (err instanceof RangeError) {
      issues.add({ line: 1, column: 1 }, 'the YAML is nested too deeply');
      return undefined;
    }
    throw err;
  }
  const at = (offset: number): Position => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  for (const e of [...doc.errors, ...doc.warnings]) issues.add(at(e.pos[0]), yamlMessage(e.message));
  if (issues.size) return undefined;
  const deep = tooDeep(doc.contents as Node | null, 0);
  if (deep) {
    issues.add(at(deep.range?.[0] ?? 0), `the YAML is nested more than ${TASK_FILE_LIMITS.depth} levels deep`);
    return undefined;
  }
  // The parser's own uniqueKeys check compares each key with every earlier one: seconds for a file of
  // twenty thousand keys. A set per map says the same in linear time.
  const duplicate = duplicateKey(doc.contents as Node | null);
  if (duplicate) {
    issues.add(at(duplicate.range?.[0] ?? 0), 'YAML: Map keys must be unique');
    return undefined;
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: TASK_FILE_LIMITS.aliases });
    if (dashes.found) value = restoreDashes(value);
  } catch (err) {
    // Excessive alias count (a billion laughs) and aliases to nothing.
    issues.add({ line: 1, column: 1 }, `the YAML cannot be read: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
  return {
    value,
    locate(path, opts = {}) {
      let node: unknown = doc.contents;
      let keyNode: unknown;
      for (const k of path) {
        if (isMap(node)) {
          const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(k));
          if (!pair) break;
          keyNode = pair.key;
          node = pair.value;
        } else if (isSeq(node) && typeof k === 'number' && node.items[k]) {
          keyNode = undefined;
          node = node.items[k];
        } else break;
      }
      const target = (opts.key && keyNode ? keyNode : node) as Node | null;
      return at(target?.range?.[0] ?? 0);
    },
  };
}

/** Stands for a flow sequence's bare `-` while the yaml package reads the text: one character, so columns stay. */
const FLOW_DASH = '\uE003';

/**
 * go-yaml (ACR's parser) reads a `-` directly followed by `]`, `,` or `}` inside a flow collection as the plain
 * scalar "-": `when: [-]` is `when: ["-"]` in ACR. The yaml package reads it as a block sequence and refuses
 * it, so each such dash is swapped for a placeholder before parsing and turned back into "-" after. A `-`
 * followed by a space (`[ - ]`) is an error in go-yaml too and is left to fail.
 */
function flowDashes(text: string): { text: string; found: boolean } {
  const at: number[] = [];
  let offset = 0;
  let flow = 0;
  let previous = '';
  for (const token of new Lexer().lex(text)) {
    if (flow > 0 && previous === '-' && (token === ']' || token === ',' || token === '}')) at.push(offset - 1);
    if (token === '[' || token === '{') flow++;
    else if ((token === ']' || token === '}') && flow > 0) flow--;
    // The lexer's own markers (document, scalar, flow end) are control characters not in the text.
    if (token !== '' && !/^[\x00-\x08\x0e-\x1f]$/.test(token)) {
      offset += token.length;
      previous = token;
    }
  }
  if (at.length === 0) return { text, found: false };
  const chars = text.split('');
  for (const i of at) if (chars[i] === '-') chars[i] = FLOW_DASH;
  return { text: chars.join(''), found: true };
}

function restoreDashes(value: unknown): unknown {
  if (value === FLOW_DASH) return '-';
  if (Array.isArray(value)) return value.map(restoreDashes);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, restoreDashes(v)]));
  return value;
}

function tooDeep(node: Node | null, depth: number): Node | undefined {
  if (!node) return undefined;
  if (depth > TASK_FILE_LIMITS.depth) return node;
  if (isMap(node) || isSeq(node)) {
    for (const item of node.items as unknown[]) {
      const child = isPair(item) ? (item.value as Node | null) : (item as Node);
      const found = tooDeep(child, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

function duplicateKey(root: Node | null): Node | undefined {
  const pending: (Node | null)[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        // stringKeys: every key is a scalar by now.
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key !== undefined && seen.has(key)) return pair.key as Node;
        if (key !== undefined) seen.add(key);
        pending.push(pair.value as Node | null);
      }
    } else if (isSeq(node)) for (const item of node.items) pending.push(item as Node | null);
  }
  return undefined;
}

/** The yaml package's messages name its own codes; keep the sentence, drop the source excerpt it may append. */
function yamlMessage(message: string): string {
  return `YAML: ${message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
}
