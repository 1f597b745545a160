// Shell patterns (`*`, `?`, `\*`) for BuildKit's ${var#pat}, ${var%pat} and ${var/pat/repl}, and for matching
// stage names. BuildKit compiles these to RE2 regexps, which run in linear time; a JS RegExp could backtrack
// exponentially on hostile input, so this simulates the pattern as an automaton and counts the work it does.
import { ExpansionError } from './word-errors.js';

type Token = { kind: 'star' } | { kind: 'any' } | { kind: 'char'; char: string };
export type Pattern = readonly Token[];

/** Work allowed for all pattern matching in one Dockerfile (automaton steps × pattern length). */
export class MatchBudget {
  constructor(private remaining: number) {}
  spend(amount: number): void {
    this.remaining -= amount;
    if (this.remaining < 0) throw new ExpansionError('variable substitution patterns are too expensive to evaluate');
  }
}

/** Parses a pattern as BuildKit's convertShellPatternToRegex does (no bracket expressions). */
export function parsePattern(pattern: string): Pattern {
  const chars = Array.from(pattern);
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') tokens.push({ kind: 'star' });
    else if (c === '?') tokens.push({ kind: 'any' });
    else if (c === '\\') {
      const next = chars[i + 1];
      // `\}` and `\/` only protect the character from ${...}; the next iteration adds it as a literal.
      if (next === '}' || next === '/') continue;
      if (next !== '*' && next !== '?' && next !== '\\') throw new ExpansionError(`invalid pattern ${JSON.stringify(pattern)}: invalid escape '\\${next ?? ''}'`);
      tokens.push({ kind: 'char', char: next });
      i++;
    } else tokens.push({ kind: 'char', char: c });
  }
  return tokens;
}

/** A pattern that matches `text` literally except for `*` wildcards where `wild` is true. */
export function literalPattern(parts: readonly { text: string; wild: boolean }[]): Pattern {
  const tokens: Token[] = [];
  for (const part of parts) {
    if (part.wild) tokens.push({ kind: 'star' });
    else for (const char of part.text) tokens.push({ kind: 'char', char });
  }
  return tokens;
}

export function reversePattern(p: Pattern): Pattern {
  return [...p].reverse();
}

/** Runs the automaton over `chars` from `start`; calls `onAccept(end)` at every end where the pattern matches. */
function run(p: Pattern, chars: readonly string[], start: number, budget: MatchBudget, onAccept: (end: number) => void): void {
  const m = p.length;
  let states = new Uint8Array(m + 1);
  states[0] = 1;
  close(p, states);
  if (states[m]) onAccept(start);
  for (let i = start; i < chars.length; i++) {
    budget.spend(m + 1);
    const next = new Uint8Array(m + 1);
    let alive = false;
    for (let s = 0; s < m; s++) {
      if (!states[s]) continue;
      const t = p[s]!;
      if (t.kind === 'star') next[s] = 1;
      else if (t.kind === 'any' || t.char === chars[i]) next[s + 1] = 1;
      else continue;
      alive = true;
    }
    if (!alive) return;
    close(p, next);
    states = next;
    if (states[m]) onAccept(i + 1);
  }
}

// A star may match nothing, so being before it means also being after it.
function close(p: Pattern, states: Uint8Array): void {
  for (let s = 0; s < p.length; s++) if (states[s] && p[s]!.kind === 'star') states[s + 1] = 1;
}

export function matchesWhole(p: Pattern, text: string, budget: MatchBudget): boolean {
  const chars = Array.from(text);
  let whole = false;
  run(p, chars, 0, budget, (end) => {
    if (end === chars.length) whole = true;
  });
  return whole;
}

/** ${value#pattern} (shortest) and ${value##pattern} (longest). */
export function trimPrefix(p: Pattern, value: string, longest: boolean, budget: MatchBudget): string {
  const chars = Array.from(value);
  let cut = -1;
  run(p, chars, 0, budget, (end) => {
    if (cut === -1 || longest) cut = end;
  });
  return cut === -1 ? value : chars.slice(cut).join('');
}

/** ${value%pattern} and ${value%%pattern}: a prefix match over the reversed value, as BuildKit does it. */
export function trimSuffix(p: Pattern, value: string, longest: boolean, budget: MatchBudget): string {
  const reversed = Array.from(value).reverse().join('');
  return Array.from(trimPrefix(reversePattern(p), reversed, longest, budget)).reverse().join('');
}

/** ${value/pattern/repl} and ${value//pattern/repl}, with Go's Regexp.ReplaceAllString rules for empty matches. */
export function replace(p: Pattern, value: string, replacement: string, all: boolean, budget: MatchBudget): string {
  const chars = Array.from(value);
  let out = '';
  let lastEnd = 0;
  let search = 0;
  while (search <= chars.length) {
    const match = leftmostLongest(p, chars, search, budget);
    if (!match) break;
    out += chars.slice(lastEnd, match.start).join('');
    if (match.end > lastEnd || match.start === 0) out += replacement;
    lastEnd = match.end;
    if (!all) break;
    search = Math.max(search + 1, match.end);
  }
  return out + chars.slice(lastEnd).join('');
}

function leftmostLongest(p: Pattern, chars: readonly string[], from: number, budget: MatchBudget): { start: number; end: number } | undefined {
  for (let start = from; start <= chars.length; start++) {
    let end = -1;
    run(p, chars, start, budget, (e) => {
      end = e;
    });
    if (end !== -1) return { start, end };
  }
  return undefined;
}
