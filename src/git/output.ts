// Parsers of git's machine-readable output (NUL- or tab-separated plumbing formats), pure, so the worker
// reads results from metadata rather than from human-readable messages.

export interface AdvertisedRef {
  name: string;
  sha: string;
}

/** `git ls-remote [--symref]` output → the refs, and the symbolic target of HEAD when it was asked for. */
export function parseLsRemote(text: string): { refs: AdvertisedRef[]; head?: string } {
  const refs: AdvertisedRef[] = [];
  let head: string | undefined;
  for (const line of text.split('\n')) {
    const symref = /^ref: (refs\/\S+)\tHEAD$/.exec(line);
    if (symref) {
      head = symref[1];
      continue;
    }
    const m = /^([0-9a-f]{40}|[0-9a-f]{64})\t(\S+)$/.exec(line);
    if (m) refs.push({ sha: m[1]!, name: m[2]! });
  }
  return head === undefined ? { refs } : { refs, head };
}

export interface Gitlink {
  path: string;
  sha: string;
}

/** `git ls-tree -r -z <tree>` output → its gitlinks (submodule entries, mode 160000). */
export function parseGitlinks(text: string): Gitlink[] {
  const links: Gitlink[] = [];
  for (const entry of text.split('\0')) {
    const m = /^160000 commit ([0-9a-f]{40}|[0-9a-f]{64})\t([^]+)$/.exec(entry);
    if (m) links.push({ sha: m[1]!, path: m[2]! });
  }
  return links;
}

export interface SubmoduleConfig {
  name: string;
  path?: string;
  url?: string;
}

/** `git config -z --blob <commit>:.gitmodules --list` output → one entry per `[submodule "name"]`. */
export function parseSubmoduleConfig(text: string): SubmoduleConfig[] {
  const byName = new Map<string, SubmoduleConfig>();
  for (const entry of text.split('\0')) {
    const nl = entry.indexOf('\n');
    const key = nl === -1 ? entry : entry.slice(0, nl);
    const value = nl === -1 ? '' : entry.slice(nl + 1);
    // submodule.<name>.<variable>: the name may itself contain dots
    const first = key.indexOf('.');
    const last = key.lastIndexOf('.');
    if (key.slice(0, first).toLowerCase() !== 'submodule' || last <= first) continue;
    const name = key.slice(first + 1, last);
    const variable = key.slice(last + 1).toLowerCase();
    const sub = byName.get(name) ?? { name };
    if (variable === 'path') sub.path = value;
    else if (variable === 'url') sub.url = value;
    byName.set(name, sub);
  }
  return [...byName.values()];
}
