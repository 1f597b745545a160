// Turns the parsed YAML (with template placeholders) into plain values: every string has its `$` aliases and
// placeholders replaced, once, and never rescanned. The alias section is expanded first, since the rest uses it.
import type { RunVariables } from '../tasks/template.js';
import { aliasTable, expandAliases, noAliases, type AliasTable } from './aliases.js';
import { TASK_FILE_LIMITS } from './limits.js';
import { expandPlaceholders, type Expansion } from './template-scan.js';

export class ExpansionTooLargeError extends Error {
  override name = 'ExpansionTooLargeError';
}

/** `withAliases` false (a file before v1.1.0): `$` is never read, and the alias section is ignored, as in ACR. */
export function expandDocument(raw: unknown, expansions: readonly Expansion[], run: Partial<RunVariables>, imageAliases: Record<string, string>, withAliases = true): { value: unknown; aliases: AliasTable } {
  let budget: number = TASK_FILE_LIMITS.expandedChars;
  const spend = (s: string): string => {
    budget -= s.length;
    if (budget < 0) throw new ExpansionTooLargeError(`the task file expands to more than ${TASK_FILE_LIMITS.expandedChars} characters`);
    return s;
  };
  const plain = (s: string) => spend(expandPlaceholders(s, expansions));
  if (!withAliases) {
    const walkPlain = (node: unknown): unknown =>
      typeof node === 'string' ? plain(node) : Array.isArray(node) ? node.map(walkPlain) : isRecord(node) ? Object.fromEntries(Object.entries(node).map(([k, v]) => [plain(k), walkPlain(v)])) : node;
    return { value: walkPlain(raw), aliases: noAliases(imageAliases) };
  }
  const section = isRecord(raw) && isRecord(raw.alias) ? raw.alias : {};
  const directive = typeof section.directive === 'string' ? plain(section.directive) : '$';
  // Alias values may use the run aliases ($ID), not each other: no chains, no loops.
  const runOnly = aliasTable(run, {}, directive.length === 1 ? directive : '$');
  const own: Record<string, string> = {};
  if (isRecord(section.values)) {
    for (const [k, v] of Object.entries(section.values)) if (typeof v === 'string') own[k] = expandAliases(plain(v), runOnly);
  }
  const aliases = aliasTable(run, own, runOnly.directive, imageAliases);
  const walk = (node: unknown, inAlias: boolean): unknown => {
    if (typeof node === 'string') return inAlias ? plain(node) : spend(expandPlaceholders(expandAliases(node, aliases), expansions));
    if (Array.isArray(node)) return node.map((n) => walk(n, inAlias));
    if (isRecord(node)) {
      // fromEntries defines own properties: a key named __proto__ stays a key.
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [plain(k), walk(v, inAlias)]));
    }
    return node;
  };
  const value = isRecord(raw) ? Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, walk(v, k === 'alias')])) : walk(raw, false);
  return { value, aliases };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
