// Run variables in image names and task values, as ACR Tasks writes them: `{{.Run.ID}}`, `{{.Run.Registry}}`
// … and the v1.1.0 `$ID`, `$Registry` aliases. An unknown variable is an error, never an empty string.
import { BadInputError } from '../errors.js';

export interface RunVariables {
  ID: string;
  Registry: string;
  RegistryName: string;
  Date: string;
  Commit: string;
  Branch: string;
  TaskName: string;
  [name: string]: string;
}

export const RUN_VARIABLE_NAMES = ['ID', 'Registry', 'RegistryName', 'Date', 'OS', 'Architecture', 'Commit', 'Branch', 'TaskName', 'SharedVolume'] as const;

const ANY_TEMPLATE = /\{\{(.*?)\}\}/g;
const DOLLAR = /\$\{([A-Za-z][A-Za-z0-9]*)\}|\$([A-Za-z][A-Za-z0-9]*)/g;

function lookup(vars: Partial<RunVariables>, name: string, where: string): string {
  if (!(RUN_VARIABLE_NAMES as readonly string[]).includes(name)) {
    throw new BadInputError(`unknown run variable ${name} in ${JSON.stringify(where)}; known: ${RUN_VARIABLE_NAMES.join(', ')}`, 'unknown_variable');
  }
  const value = vars[name];
  if (value === undefined) throw new BadInputError(`run variable ${name} in ${JSON.stringify(where)} has no value for this run`, 'unknown_variable');
  return value;
}

/** Replaces every run variable in `text`; `$$` stands for a literal `$`. */
export function renderRunTemplate(text: string, vars: Partial<RunVariables>): string {
  const withGo = text.replace(ANY_TEMPLATE, (whole: string, inner: string) => {
    const m = /^\s*\.Run\.([A-Za-z]+)\s*$/.exec(inner);
    if (!m) throw new BadInputError(`unsupported template ${whole} in ${JSON.stringify(text)}; use {{.Run.NAME}}`, 'unknown_variable');
    return lookup(vars, m[1]!, text);
  });
  return withGo
    .split('$$')
    .map((part) => part.replace(DOLLAR, (_w: string, braced: string | undefined, bare: string | undefined) => lookup(vars, (braced ?? bare)!, text)))
    .join('$');
}

/** Checks that a template uses only known variables, without values (at task creation). */
export function checkRunTemplate(text: string): void {
  const sample = Object.fromEntries(RUN_VARIABLE_NAMES.map((n) => [n, 'x']));
  renderRunTemplate(text, sample);
}

