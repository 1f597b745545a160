// The port the janitor measures and frees an engine's disk through: its build cache, and the images this
// deployment's runs tagged. DockerStorage (docker/) is today's adapter.

/** A local image and the names it carries. */
export interface LocalImage {
  id: string;
  tags: string[];
}

export interface EngineStorage {
  /** Bytes the engine's build cache takes (shared records once). */
  buildCacheBytes(): Promise<number>;
  /** Prunes the build cache, least recently used first, until it takes at most `keepBytes`; resolves with the bytes freed. */
  pruneBuildCache(keepBytes: number): Promise<number>;
  /** The images with a name in `namespace` (`slipway-run`), with every name they carry. */
  listImages(namespace: string): Promise<LocalImage[]>;
  /** Removes one name (or the image, for its last); false when the engine refused (a container uses it). */
  removeImage(reference: string): Promise<boolean>;
}
