// Go's view of the values a task file's template sees: YAML and JSON data (strings, numbers, booleans, maps,
// lists), nil, and the "no value" of a missing map key (undefined here). Printed as fmt's %v prints them.

export type GoValue = unknown;

export const NO_VALUE = '<no value>';

/** Go's truth: false, 0, "", nil and empty lists and maps are false. */
export function truthy(v: GoValue): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

export function isMap(v: GoValue): v is Record<string, GoValue> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/** fmt's %v. */
export function printValue(v: GoValue): string {
  if (v === undefined || v === null) return NO_VALUE;
  return formatV(v, true);
}

function formatV(v: GoValue, top: boolean): string {
  if (v === undefined || v === null) return top ? NO_VALUE : '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map((e) => formatV(e, false)).join(' ')}]`;
  if (isMap(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${formatV(v[k], false)}`).join(' ')}]`;
  return String(v);
}

/** An integer prints as one; a float as Go's %v (%g with the shortest representation). */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(n);
}

/** Sprig's strval: what string functions make of any argument. */
export function strval(v: GoValue): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  return formatV(v, false);
}

/** Go's name of a value's type, for error messages. */
export function typeName(v: GoValue): string {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (isMap(v)) return 'map[string]interface {}';
  return typeof v;
}
