// The port the janitor measures and frees an engine's disk through: its build cache, the images this
// deployment's runs tagged, and the images its cmd steps pulled. DockerStorage (docker/) is today's adapter.

/** What asking to remove an image name came to: the Engine refuses while a container (a running step) uses the image. */
export type ImageRemoval = 'removed' | 'absent' | 'refused';

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
  /** Removes one name (or the image, for its last); never forced. */
  removeImage(reference: string): Promise<ImageRemoval>;
  /** Whether a container, running or not, was made from the image `reference` names. */
  imageInUse(reference: string): Promise<boolean>;
  /** The engine's own ID, the same across its restarts and whoever asks. */
  engineId(): Promise<string>;
}
