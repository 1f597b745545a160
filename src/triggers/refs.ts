// Git ref names and commit ids: the pure checks and splits both webhook routers share.

const COMMIT_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** A full commit id: 40 hex digits (SHA-1) or 64 (SHA-256 repositories), lower case. */
export function isCommitSha(value: string): boolean {
  return COMMIT_SHA.test(value);
}

/** The all-zero id git uses for "no commit": the `after` of a deleted ref, the `before` of a new one. */
export function isZeroSha(value: string): boolean {
  return isCommitSha(value) && /^0+$/.test(value);
}

// Characters git check-ref-format refuses anywhere in a ref: controls, space, ~ ^ : ? * [ \ and DEL.
const FORBIDDEN = /[\x00-\x20~^:?*[\\\x7f]/;

/**
 * A full ref name (refs/<namespace>/<name>) that `git check-ref-format` accepts. Short names such as
 * `main` are refused on purpose: `main` could be a branch or a tag.
 */
export function isFullRefName(ref: string): boolean {
  if (ref.length > 1024 || !ref.startsWith('refs/') || FORBIDDEN.test(ref)) return false;
  if (ref.includes('..') || ref.includes('@{') || ref.endsWith('.')) return false;
  const parts = ref.split('/');
  if (parts.length < 3) return false;
  return parts.every((p) => p !== '' && !p.startsWith('.') && !p.endsWith('.lock'));
}

/** The branch or tag a full ref names; neither for other namespaces (refs/pull/…, refs/notes/…). */
export function parseRef(ref: string): { branch?: string; tag?: string } {
  if (ref.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length) };
  return {};
}
