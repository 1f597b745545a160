// What a task file's template sees, as acr-builder builds it (templating/base_render_options.go): .Run with
// every built-in (a value this run does not have is an empty string, as ACR passes one), .Build.ID,
// .Values, .Secrets, and .ValuesJSON and .RunJSON: the JSON of each, quoted for a shell when it needs it.
import { RUN_VARIABLE_NAMES, type RunVariables } from '../tasks/template.js';

/** ACR's .Run fields, in addition to the run variables Slipway fills in itself. */
export const ACR_RUN_FIELDS = ['ID', 'Commit', 'Repository', 'Branch', 'GitTag', 'TriggeredBy', 'Registry', 'RegistryName', 'Date', 'SharedVolume', 'OS', 'OSVersion', 'Architecture', 'TaskName'] as const;

export function templateData(run: Partial<RunVariables>, values: Record<string, unknown>, secrets: Record<string, string>): Record<string, unknown> {
  const names = new Set<string>([...ACR_RUN_FIELDS, ...RUN_VARIABLE_NAMES]);
  const runMap = Object.fromEntries([...names].map((n) => [n, run[n] ?? '']));
  return {
    Build: { ID: runMap.ID },
    Run: runMap,
    Values: values,
    Secrets: secrets,
    ValuesJSON: shellQuote(sortedJson(values)),
    RunJSON: shellQuote(sortedJson(runMap)),
  };
}

/** JSON with map keys in order, as Go's encoding/json writes a map. */
export function sortedJson(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]])) : value,
  );
}

const NEEDS_QUOTES = /[^\w_^@=+%,:./-]/;

/** acr-builder's shellQuote: single quotes around a string with characters a shell would read. */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  return NEEDS_QUOTES.test(s) ? `'${s.replaceAll("'", `'"'"'`)}'` : s;
}
