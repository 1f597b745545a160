// Where a symlink leads, judged through the other links of the same tree: one link alone may stay inside the
// root and a second, written through it, leave (`d0/…/d11/s1 → ../×12` is the root; `s2 → s1/../×12` is
// twelve levels above it). Every component is followed as a reader on disk would follow it. Pure: the links
// come from a lookup, so the archive rules (no I/O) and the readers of a checkout (resolve-inside.ts) share it.

/** Links followed in one resolution before it is taken as a loop (Linux's own limit). */
export const MAX_LINK_HOPS = 40;

export type LinkResolution =
  | { ok: true; path: string }
  | { ok: false; reason: 'escapes' | 'absolute' | 'loop' };

/**
 * Resolves `target`, written in a link in directory `dir` (relative, '/'-separated, '' for the root), through
 * `readLink` (a link's target, or undefined for anything that is not a link). `onPlainParent` hears each
 * path that was stepped back out of by `..` while it was not a link: a link made there later would change
 * this answer.
 */
export function resolveLink(
  dir: string,
  target: string,
  readLink: (path: string) => string | undefined,
  onPlainParent: (path: string) => void = () => {},
): LinkResolution {
  const stack = dir === '' ? [] : dir.split('/');
  let hops = 0;
  const walk = (text: string): LinkResolution | undefined => {
    if (text.startsWith('/')) return { ok: false, reason: 'absolute' };
    for (const part of text.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (stack.length === 0) return { ok: false, reason: 'escapes' };
        onPlainParent(stack.join('/'));
        stack.pop();
        continue;
      }
      stack.push(part);
      const next = readLink(stack.join('/'));
      if (next === undefined) continue;
      if (++hops > MAX_LINK_HOPS) return { ok: false, reason: 'loop' };
      stack.pop();
      const failed = walk(next);
      if (failed) return failed;
    }
    return undefined;
  };
  return walk(target) ?? { ok: true, path: stack.join('/') };
}
