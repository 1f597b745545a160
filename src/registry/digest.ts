// Content digests (`algorithm:hex`) of bytes, as registries name blobs and manifests.
// https://github.com/opencontainers/image-spec/blob/v1.1.0/descriptor.md#digests
import { createHash } from 'node:crypto';

export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

export function digestOf(data: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** The algorithm a digest was made with; sha256 for anything unrecognised (the caller validated it already). */
export function digestAlgorithm(digest: string): DigestAlgorithm {
  const algorithm = digest.slice(0, digest.indexOf(':'));
  return algorithm === 'sha384' || algorithm === 'sha512' ? algorithm : 'sha256';
}
