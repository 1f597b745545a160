// Secrets of a task file. Their values come at run time (`--set-secret ID=VALUE`); Slipway reads no Azure Key
// Vault, so a `keyvault` reference without a value given is refused with a message saying what to do.
// Every value is registered for masking the moment it is read, with the forms templates can turn it into.
import { SecretMasker } from '../log.js';
import type { IssueList } from './errors.js';
import type { ScanResult } from './template-scan.js';
import type { TaskFile } from './schema.js';
import type { PathKey, Position } from './yaml-source.js';
import { goQuote } from './go-template/quote.js';

/** Stands in for secret values when a file is only validated: valid base64, so `| b64dec` works too. */
export const STAND_IN_SECRET = 'c2VjcmV0';

export function secretMasker(values: Record<string, string>): SecretMasker {
  const masker = new SecretMasker();
  for (const v of Object.values(values)) {
    masker.add(v);
    // What b64enc and quote make of it would otherwise print in clear.
    masker.add(Buffer.from(v, 'utf8').toString('base64'));
    masker.add(goQuote(v).slice(1, -1));
  }
  return masker;
}

export function checkSecrets(
  task: TaskFile,
  refs: ScanResult['secretRefs'],
  given: Record<string, string>,
  dryRun: boolean,
  issues: IssueList,
  warnings: string[],
  locate: (path: PathKey[]) => Position,
): void {
  const declared = new Set((task.secrets ?? []).map((s) => s.id));
  for (const ref of refs) {
    if (!declared.has(ref.name) && !Object.hasOwn(given, ref.name)) issues.add(ref.at, `secret ${ref.name} is not declared: add it under secrets (id: ${ref.name}) and give its value with --set-secret ${ref.name}=VALUE`);
  }
  const seen = new Set<string>();
  (task.secrets ?? []).forEach((s, i) => {
    const at = locate(['secrets', i]);
    if (seen.has(s.id)) issues.add(at, `duplicate secret id ${s.id}`);
    seen.add(s.id);
    if (Object.hasOwn(given, s.id)) return;
    const what = s.keyvault !== undefined ? `secret ${s.id} refers to Azure Key Vault, which Slipway does not read` : `secret ${s.id} has no value`;
    if (dryRun) warnings.push(`${at.line}:${at.column}: ${what}; a run needs --set-secret ${s.id}=VALUE`);
    else issues.add(at, `${what}: give its value with --set-secret ${s.id}=VALUE`);
  });
}

export function decodeVolumes(task: TaskFile, issues: IssueList, locate: (path: PathKey[]) => Position): { name: string; files: Record<string, Buffer> }[] {
  return (task.volumes ?? []).map((v, i) => {
    const files: Record<string, Buffer> = {};
    for (const [file, content] of Object.entries(v.secret)) {
      // ACR requires base64 here (hence `| b64enc` in its examples); a plain value would be a silent mistake.
      if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(content) || content.replace(/\s/g, '').length % 4 !== 0) {
        issues.add(locate(['volumes', i, 'secret', file]), `volume ${v.name}: ${file} is not base64; write {{ ... | b64enc}}`);
        continue;
      }
      files[file] = Buffer.from(content, 'base64');
    }
    return { name: v.name, files };
  });
}
