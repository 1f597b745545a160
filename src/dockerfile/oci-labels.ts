// The OCI annotations a git build gets on its image config (org.opencontainers.image.source, .revision,
// .created, as buildx and GitHub's actions set them), unless the Dockerfile's own LABEL or the run's --label
// sets one: what the author wrote wins. Pure: the caller reads the Dockerfile and says when.
import { instructionTexts } from './instructions.js';
import { parseWords } from './logical-line.js';
import { prepareDockerfile } from './source.js';

export const OCI_SOURCE = 'org.opencontainers.image.source';
export const OCI_REVISION = 'org.opencontainers.image.revision';
export const OCI_CREATED = 'org.opencontainers.image.created';

/** The label keys the Dockerfile's LABEL instructions set, in any stage (unquoted as BuildKit reads them). */
export function dockerfileLabelKeys(dockerfile: string): Set<string> {
  const keys = new Set<string>();
  const prepared = prepareDockerfile(dockerfile);
  for (const ins of instructionTexts(prepared)) {
    if (ins.keyword !== 'LABEL') continue;
    for (const word of parseWords(ins.rest, prepared.escape)) {
      const eq = word.indexOf('=');
      // `LABEL key value` (the old form) sets one label: its first word.
      if (eq === -1) {
        keys.add(unquote(word));
        break;
      }
      keys.add(unquote(word.slice(0, eq)));
    }
  }
  return keys;
}

const unquote = (key: string) => key.replace(/^(["'])(.*)\1$/, '$2');

/** A repository URL as a label may show it: no credentials, no query or fragment. */
function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    // scp-like `git@host:org/repo.git`: kept as is, without a user.
    return url.replace(/^[^@/]+@/, '');
  }
}

/** The labels to add to a git build: those neither the Dockerfile nor `given` (the run's --label) sets. */
export function gitSourceLabels(git: { url: string; commit: string }, dockerfile: string, given: Record<string, string> | undefined, created: Date): Record<string, string> {
  let set: Set<string>;
  try {
    set = dockerfileLabelKeys(dockerfile);
  } catch {
    // A Dockerfile that does not parse fails the build with BuildKit's own message; nothing to add to it.
    return {};
  }
  const wanted: Record<string, string> = { [OCI_SOURCE]: publicUrl(git.url), [OCI_REVISION]: git.commit, [OCI_CREATED]: created.toISOString() };
  return Object.fromEntries(Object.entries(wanted).filter(([key]) => !set.has(key) && given?.[key] === undefined));
}
