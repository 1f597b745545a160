// ACR's aliases (task format v1.1.0): `$ID`, `$Registry` … stand for the run variables ACR names in its
// global aliases (graph/global-defaults-linux.go; not $TaskName), a task's own
// `alias.values` add more (and win over the built-in ones), `$$` is a literal `$`. A `$NAME` that is no alias
// is left as written, as ACR leaves it, because cmd steps are full of shell variables (`echo $HOME`).
// The task's aliases also name images: `cmd: myimage args` with `myimage` an alias runs the aliased image.
import type { RunVariables } from '../tasks/template.js';

/** The run variables ACR defines as aliases. */
export const RUN_ALIASES = ['ID', 'SharedVolume', 'Registry', 'RegistryName', 'Date', 'OS', 'Architecture', 'Commit', 'Branch'] as const;

export interface AliasTable {
  /** One non-alphanumeric character, `$` unless the task sets `alias.directive`. */
  directive: string;
  values: ReadonlyMap<string, string>;
  /** Aliases a cmd step's first word may use without the directive: the task's own and configured image aliases. */
  images: ReadonlyMap<string, string>;
}

export const ALIAS_NAME = /^[A-Za-z0-9]+$/;

export function aliasTable(run: Partial<RunVariables>, own: Record<string, string>, directive = '$', imageAliases: Record<string, string> = {}): AliasTable {
  const values = new Map<string, string>();
  for (const name of RUN_ALIASES) {
    const v = run[name];
    if (v !== undefined) values.set(name, v);
  }
  for (const [k, v] of Object.entries(own)) values.set(k, v);
  const images = new Map<string, string>(Object.entries(imageAliases));
  for (const [k, v] of Object.entries(own)) images.set(k, v);
  return { directive, values, images };
}

const escapeRe = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** No aliases at all, for a file before v1.1.0: only the server's image aliases name images. */
export function noAliases(imageAliases: Record<string, string>): AliasTable {
  return { directive: '$', values: new Map(), images: new Map(Object.entries(imageAliases)) };
}

/** Replaces every known alias in `text` in one pass; replacements are not scanned again. */
export function expandAliases(text: string, table: AliasTable): string {
  const d = escapeRe(table.directive);
  return text.replace(new RegExp(`${d}(${d}|[A-Za-z0-9]+)`, 'g'), (whole, name: string) => {
    if (name === table.directive) return table.directive;
    return table.values.get(name) ?? whole;
  });
}

/** The image a cmd step names: its first word, resolved through the image aliases. */
export function resolveImageAlias(word: string, table: AliasTable): string {
  return table.images.get(word) ?? word;
}
