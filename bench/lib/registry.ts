// Cleanup in the registry: the benchmark's manifests are deleted by digest (the registry runs with
// delete enabled); their blobs stay until the registry's garbage collection, which needs it stopped.
import { parseImageReference } from '../../src/registry/reference.js';

const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** Deletes each image's manifest; returns how many were deleted. */
export async function deleteManifests(images: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const image of images) {
    const ref = parseImageReference(image);
    const base = `http://${ref.registry}/v2/${ref.repository}/manifests`;
    try {
      const head = await fetch(`${base}/${ref.tag ?? 'latest'}`, { method: 'HEAD', headers: { accept: ACCEPT } });
      const digest = head.headers.get('docker-content-digest');
      if (!head.ok || !digest) continue;
      const del = await fetch(`${base}/${digest}`, { method: 'DELETE' });
      if (del.ok) deleted++;
    } catch {
      /* cleanup is best effort */
    }
  }
  return deleted;
}
