// The submodules a commit pins: each gitlink in its tree, with the URL `.gitmodules` gives for that path
// (relative URLs resolved against the superproject's), read from the mirror without a .git directory or
// `git submodule`. Each is then checked out through the mirror cache like any repository, URL policy included.
import { BadInputError } from '../../src/errors.js';
import { resolveSubmoduleUrl } from '../../src/git/url.js';
import type { MirrorRepository } from './git-repository.js';

export interface Submodule {
  name: string;
  /** Path inside the superproject, as stored in its tree. */
  path: string;
  url: string;
  commit: string;
}

export async function listSubmodules(repo: MirrorRepository, commit: string): Promise<Submodule[]> {
  const config = await repo.submoduleConfig(commit);
  if (config.length === 0) return [];
  const byPath = new Map(config.filter((c) => c.path !== undefined).map((c) => [c.path!.replace(/\/+$/, ''), c]));
  const subs: Submodule[] = [];
  for (const link of await repo.gitlinks(commit)) {
    const entry = byPath.get(link.path);
    if (!entry?.url) throw new BadInputError(`submodule at ${link.path}: .gitmodules gives it no url`, 'invalid_git_submodule');
    if (link.path.split('/').some((p) => p === '..' || p === '.' || p === '') || link.path.startsWith('/')) {
      throw new BadInputError(`submodule path ${JSON.stringify(link.path)} is not a plain relative path`, 'invalid_git_submodule');
    }
    let url: string;
    try {
      url = resolveSubmoduleUrl(repo.url, entry.url);
    } catch (err) {
      throw new BadInputError(`submodule ${link.path}: ${(err as Error).message}`, 'invalid_git_submodule');
    }
    subs.push({ name: entry.name, path: link.path, url, commit: link.sha });
  }
  return subs;
}
