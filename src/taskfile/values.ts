// Values a run gives a task file: --values FILE (a YAML map, read like the task file, with positions in
// errors) and --set KEY=VALUE (later wins; a dotted KEY sets a nested value, as `--set a.b=1` does in ACR).
import { IssueList } from './errors.js';
import { isRecord } from './expand.js';
import { TASK_FILE_LIMITS } from './limits.js';
import { parseYaml } from './yaml-source.js';

export function parseValuesFile(text: string, file: string): Record<string, unknown> {
  const issues = new IssueList(file);
  if (text.length > TASK_FILE_LIMITS.bytes) issues.add({ line: 1, column: 1 }, `the values file is larger than ${TASK_FILE_LIMITS.bytes} bytes`);
  issues.throwIfAny();
  const doc = parseYaml(text, issues);
  issues.throwIfAny();
  const value = doc!.value ?? {};
  if (!isRecord(value)) issues.add({ line: 1, column: 1 }, 'a values file is a map of names to values');
  issues.throwIfAny();
  return value as Record<string, unknown>;
}

/** Applies `a.b=v` to a copy of `values`. */
export function setValue(values: Record<string, unknown>, key: string, value: string): Record<string, unknown> {
  const path = key.split('.');
  const root: Record<string, unknown> = { ...values };
  let node = root;
  for (const [i, k] of path.entries()) {
    if (i === path.length - 1) Object.defineProperty(node, k, { value, enumerable: true, writable: true, configurable: true });
    else {
      const next: Record<string, unknown> = isRecord(node[k]) && Object.hasOwn(node, k) ? { ...(node[k] as Record<string, unknown>) } : {};
      Object.defineProperty(node, k, { value: next, enumerable: true, writable: true, configurable: true });
      node = next;
    }
  }
  return root;
}
