// Instruction flags as BuildKit reads them (frontend/dockerfile/instructions/bflag.go, commands_runmount.go):
// `--name=value`, and the CSV inside `RUN --mount=...`, of which only `from` (and `type`) matter here.

export interface Flag {
  name: string;
  /** undefined for a bare `--name`. */
  value?: string;
  /** 1-based line. */
  line: number;
}

export class FlagError extends Error {
  override name = 'FlagError';
}

export function parseFlag(text: string, line: number): Flag {
  const eq = text.indexOf('=');
  return eq === -1 ? { name: text, line } : { name: text.slice(0, eq), value: text.slice(eq + 1), line };
}

/** The one value of a string flag that may appear once (`--from`, `--platform`), or undefined if absent. */
export function singleValue(flags: readonly Flag[], name: string): Flag | undefined {
  const found = flags.filter((f) => f.name === name);
  if (found.length > 1) throw new FlagError(`duplicate flag specified: --${name}`);
  const flag = found[0];
  if (flag && flag.value === undefined) throw new FlagError(`missing a value on flag: --${name}`);
  return flag;
}

/** The `from=` of one `--mount` value, or undefined when it has none (then it mounts scratch). */
export function mountSource(value: string): string | undefined {
  let from: string | undefined;
  let type = 'bind';
  for (const field of parseCsvLine(value)) {
    const eq = field.indexOf('=');
    if (eq === -1) continue;
    const key = field.slice(0, eq).toLowerCase();
    const v = field.slice(eq + 1);
    if (key === 'type') type = v.toLowerCase();
    if (key === 'from') {
      const dollar = v.indexOf('$');
      if (dollar !== -1 && dollar !== v.length - 1) throw new FlagError("'from' in --mount doesn't support variable expansion; define an alias stage instead");
      from = v;
    }
  }
  if (type === 'secret' && from) throw new FlagError('a secret mount cannot have a from');
  return from === '' ? undefined : from;
}

/** One CSV record with Go encoding/csv rules: `"` quotes a whole field, `""` inside is a quote. */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new FlagError(`failed to parse csv mounts: unterminated quote in ${JSON.stringify(line.slice(0, 80))}`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') throw new FlagError(`failed to parse csv mounts: extraneous " in field`);
    } else {
      const end = line.indexOf(',', i);
      field = line.slice(i, end === -1 ? line.length : end);
      if (field.includes('"')) throw new FlagError('failed to parse csv mounts: bare " in non-quoted field');
      i = end === -1 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++;
  }
}
