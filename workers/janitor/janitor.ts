// The worker's janitor: keeps its host's disk within the deployment's budget (SLIPWAY_JANITOR_*), once at
// the worker's start and then every interval. Each pass removes what ended runs left (their containers,
// kept ones too, networks and workspaces, as leftovers.ts does for a dead worker's; their run-scoped
// images), removes the images pulled for cmd steps that no step used for a while, evicts git mirrors over
// their budget and prunes the build cache over its own, then records
// what it measured and removed for GET /v1/workers. One part failing does not stop the others.
import path from 'node:path';
import type { JanitorSettings } from '../../src/config.js';
import type { WorkerDisk } from '../../src/contract/workers.js';
import type { Logger } from '../../src/log.js';
import type { WorkerRegistry } from '../../src/queue/worker-registry.js';
import type { EngineStorage } from '../builder/engine-storage.js';
import { removeLeftovers, type LeftoverScope } from '../leftovers.js';
import { trimBuildCache } from './build-cache.js';
import { evictMirrors } from './mirrors.js';
import { removeEndedRunImages } from './run-images.js';
import { removeUnusedStepImages, type StepImageLedger } from './step-images.js';

export interface JanitorDeps extends LeftoverScope {
  storage: EngineStorage;
  disks: Pick<WorkerRegistry, 'recordDisk'>;
  /** The worker's name, `host/pid`: whose record it is. */
  worker: string;
  /** The worker's git cache (config.gitCacheDir): its mirrors are under mirrors/. */
  gitCacheDir: string;
  settings: JanitorSettings;
  /** Which step images this deployment pulled on the Engine, and when each was last used. */
  stepImages?: StepImageLedger;
  log: Logger;
}

/**
 * A worker that starts is usually about to build (a restart, a new host), and a pass's Engine-wide queries
 * compete with those first builds: Docker 20.10 answers `GET /system/df` only after sizing every image. What a
 * dead worker left behind is removed before the worker takes work (worker.ts); the rest can wait this long.
 */
const FIRST_PASS_DELAY_MS = 60_000;
/** A record outlives its worker this long at least, so a slow pass never leaves the worker without one. */
const MIN_RECORD_TTL_MS = 10 * 60_000;

export class Janitor {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<WorkerDisk> | undefined;
  private closing: Promise<void> | undefined;
  /** The last pass's figures: what a part that fails reports, rather than a disk that looks empty. */
  private last: WorkerDisk | undefined;

  constructor(private readonly deps: JanitorDeps) {}

  /** Runs a pass shortly after the start (FIRST_PASS_DELAY_MS, or the interval if shorter), then every interval. */
  start(): void {
    if (this.timer || this.closing) return;
    const tick = () => void this.sweep().catch((err: unknown) => this.deps.log.warn({ err }, 'janitor pass failed'));
    const every = this.deps.settings.intervalMs;
    this.timer = setTimeout(() => {
      tick();
      if (this.closing) return;
      this.timer = setInterval(tick, every);
      this.timer.unref();
    }, Math.min(every, FIRST_PASS_DELAY_MS));
    this.timer.unref();
  }

  /** One pass; a call while one runs resolves with that one. */
  sweep(): Promise<WorkerDisk> {
    return (this.pass ??= this.run().finally(() => (this.pass = undefined)));
  }

  private async run(): Promise<WorkerDisk> {
    const { deps } = this;
    const part = async <T>(what: string, work: () => Promise<T>, none: T): Promise<T> =>
      work().catch((err: unknown) => {
        deps.log.warn({ err, part: what }, 'janitor could not finish a part of its pass');
        return none;
      });
    const leftovers = await part('leftovers', () => removeLeftovers(deps), { containers: 0, networks: 0, workspaces: 0 });
    const images = await part('run images', () => removeEndedRunImages(deps), 0);
    const { stepImages: ledger, settings } = deps;
    const stepImages = ledger && settings.stepImageMaxAgeMs !== undefined ? await part('step images', () => removeUnusedStepImages(deps.storage, ledger, settings.stepImageMaxAgeMs!), 0) : undefined;
    const mirrors = await part('mirrors', () => evictMirrors(path.join(deps.gitCacheDir, 'mirrors'), deps.settings.mirrorBytes), { bytes: this.last?.mirrorBytes ?? 0, evicted: 0, evictedBytes: 0 });
    const cache = await part('build cache', () => trimBuildCache(deps.storage, deps.settings.buildCacheBytes), { bytes: this.last?.buildCacheBytes ?? 0, reclaimed: 0 });
    const disk: WorkerDisk = {
      measuredAt: new Date().toISOString(),
      buildCacheBytes: cache.bytes,
      buildCacheBudgetBytes: deps.settings.buildCacheBytes,
      mirrorBytes: mirrors.bytes,
      mirrorBudgetBytes: deps.settings.mirrorBytes,
      removed: { buildCacheBytes: cache.reclaimed, mirrors: mirrors.evicted, mirrorBytes: mirrors.evictedBytes, images, ...(stepImages !== undefined ? { stepImages } : {}), ...leftovers },
    };
    const removedAny = images + (stepImages ?? 0) + mirrors.evicted + leftovers.containers + leftovers.networks + leftovers.workspaces > 0 || cache.reclaimed > 0;
    if (removedAny) deps.log.info(disk, 'janitor freed disk');
    this.last = disk;
    await deps.disks.recordDisk(deps.worker, disk, Math.max(MIN_RECORD_TTL_MS, 3 * deps.settings.intervalMs));
    return disk;
  }

  /** Stops the passes and waits for the one running; idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      clearInterval(this.timer);
      await this.pass?.catch(() => undefined);
    })());
  }
}
