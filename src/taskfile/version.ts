// The task file's `version`, read as acr-builder reads it (graph/task.go, graph/preprocessor.go and
// cmd/acb/commands/exec): three versions are valid, in any case; a file without one is v1.0.0; and aliases
// (`$Registry`, `alias:`, image names) apply only when the version line, found in the text before any
// template is rendered, compares at or above "v1.1.0" as a string (so `V1.1.0` is valid but has none).
export const TASK_FILE_VERSIONS = ['v1.1.0', 'v1.0.0', '1.0-preview-1'] as const;
/** ACR's currentTaskVersion: what a file without `version` is. */
export const DEFAULT_TASK_VERSION = 'v1.0.0';
/** The first version with aliases. */
export const ALIAS_VERSION = 'v1.1.0';

/** ACR's message for a version it does not know, or undefined for a valid one. */
export function versionProblem(version: string): string | undefined {
  if ((TASK_FILE_VERSIONS as readonly string[]).includes(version.toLowerCase())) return undefined;
  return `invalid version specified: ${JSON.stringify(version)}, the current version is ${JSON.stringify(DEFAULT_TASK_VERSION)} (valid: ${TASK_FILE_VERSIONS.join(', ')})`;
}

/**
 * acr-builder's FindVersion: the value of the first unindented `version:` line of the raw text (quotes
 * around key and value dropped), comments and blank lines skipped; '' when there is none.
 */
export function findVersion(source: string): string {
  for (const line of source.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (!line.replace(/^['"]+/, '').startsWith('version')) continue;
    const colon = line.indexOf(':');
    if (colon !== -1 && line.slice(0, colon).trim().replace(/^['"]+|['"]+$/g, '') === 'version') {
      return line.slice(colon + 1).trim().replace(/^['"]+|['"]+$/g, '');
    }
  }
  return '';
}

/** Whether aliases apply: ACR compares the version found as a string (Go's byte order, as JavaScript's for ASCII). */
export function aliasesApply(foundVersion: string): boolean {
  return foundVersion >= ALIAS_VERSION;
}
