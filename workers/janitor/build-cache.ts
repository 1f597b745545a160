// The Engine's build cache, pruned down to its budget once it is over it.
import type { EngineStorage } from '../builder/engine-storage.js';

export interface BuildCacheTrim {
  /** Bytes the build cache takes after the pass. */
  bytes: number;
  reclaimed: number;
}

export async function trimBuildCache(storage: EngineStorage, budgetBytes: number): Promise<BuildCacheTrim> {
  const bytes = await storage.buildCacheBytes();
  if (bytes <= budgetBytes) return { bytes, reclaimed: 0 };
  // The build cache is the Engine's, not this deployment's: records carry no run or owner, so a prune is
  // Engine-wide by nature and reaches other deployments' cache too. Hence only once over budget, and only
  // down to it (BuildKit drops the least recently used records first and never one a running build holds).
  const reclaimed = await storage.pruneBuildCache(budgetBytes);
  return { bytes: await storage.buildCacheBytes(), reclaimed };
}
