// QuarantineGate: images a quarantined run pushed by digest wait here for a scanner. Approval moves each tag
// to the digest (the same manifest bytes PUT under the tag, so the digest the scanner judged is the digest
// the tag names) and only then is the image a change the base-image graph hears of. Rejection moves nothing.
// Either verdict is written to the run's log, which is how the run shows it (an ended run's record never
// changes again; see runs/lifecycle.ts).
import type { QuarantinedImage } from '../contract/quarantine.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { ImageChange } from '../graph/model.js';
import type { Logger } from '../log.js';
import type { Manifest } from '../registry/client.js';
import { canonicalImageName, parseImageReference, type ImageReference } from '../registry/reference.js';
import type { RebuildCause, Run } from '../runs/model.js';
import type { QuarantineRecords } from './records.js';

/** The two registry calls a verdict makes. */
export interface ManifestMover {
  getManifest(ref: ImageReference): Promise<Manifest>;
  putManifest(ref: ImageReference, raw: Buffer, mediaType: string): Promise<string>;
}

export interface QuarantineGateDeps {
  records: QuarantineRecords;
  registry: ManifestMover;
  /** The base-image graph: an approved image changed; answers the wave it started, if any. */
  changed: (change: ImageChange, upstream: RebuildCause[]) => Promise<{ wave?: { id: string } }>;
  appendRunLog: (runId: string, lines: string[]) => Promise<void>;
  /** Tells the outside world an image waits (the outbound webhooks' `image.quarantined`). */
  announce: (image: QuarantinedImage) => Promise<void>;
  log: Logger;
}

export class QuarantineGate {
  constructor(private readonly deps: QuarantineGateDeps) {}

  get(digest: string): Promise<QuarantinedImage | undefined> {
    return this.deps.records.get(digest);
  }

  list(opts: Parameters<QuarantineRecords['list']>[0]): Promise<QuarantinedImage[]> {
    return this.deps.records.list(opts);
  }

  /** After a run ends: a quarantined run that pushed its image leaves it here, waiting. */
  async runFinished(run: Run): Promise<void> {
    for (const image of imagesOfRun(run)) await this.imageWaits(run, image);
  }

  private async imageWaits(run: Run, image: QuarantinedImage): Promise<void> {
    const { records } = this.deps;
    const recorded = await records.deciding(image.digest, async (lease) => {
      const known = await records.get(image.digest);
      // The same bytes pushed again (a reproducible build): one record, naming every tag they wait for.
      const merged: QuarantinedImage = known && known.state === 'quarantined' ? { ...known, images: [...new Set([...known.images, ...image.images])] } : image;
      if (known?.state === 'rejected') {
        await this.deps.appendRunLog(run.id, [`slipway: quarantine: ${image.digest} was already rejected by ${known.by ?? 'a scanner'}${known.reason ? `: ${known.reason}` : ''}; no tag moves`]);
        return undefined;
      }
      await records.put(merged, lease);
      return merged;
    });
    if (!recorded) return;
    this.deps.log.info({ digest: recorded.digest, images: recorded.images, runId: recorded.runId }, 'image quarantined');
    await this.deps.announce(recorded);
  }

  /** Moves every tag to the image, then tells the graph; answers the record and the waves started. */
  async approve(digest: string, by: string, note?: string): Promise<{ image: QuarantinedImage; waves: string[] }> {
    const { records, registry } = this.deps;
    const image = await records.deciding(digest, async (lease) => {
      const waiting = await this.waiting(digest);
      for (const name of waiting.images) {
        const ref = parseImageReference(name);
        const repo = { registry: ref.registry, repository: ref.repository };
        const manifest = await registry.getManifest({ ...repo, digest });
        await registry.putManifest({ ...repo, tag: ref.tag ?? 'latest' }, manifest.raw, manifest.mediaType);
      }
      const approved: QuarantinedImage = { ...waiting, state: 'approved', by, at: new Date().toISOString(), ...(note ? { reason: note } : {}) };
      await records.put(approved, lease);
      return approved;
    });
    this.deps.log.info({ digest, by, images: image.images }, 'quarantined image approved');
    await this.deps.appendRunLog(image.runId, image.images.map((name) => `slipway: quarantine: approved by ${by}: ${name} now names ${digest}`));
    const waves: string[] = [];
    for (const name of image.images) {
      const cause: RebuildCause = { image: canonicalImageName(name), newDigest: digest, runId: image.runId, ...(image.task ? { task: image.task } : {}) };
      const outcome = await this.deps.changed({ image: canonicalImageName(name), platforms: image.platforms }, [cause]);
      if (outcome.wave) waves.push(outcome.wave.id);
    }
    return { image, waves };
  }

  /** Records the verdict; no tag moves, now or later. */
  async reject(digest: string, by: string, reason: string | undefined): Promise<QuarantinedImage> {
    const { records } = this.deps;
    const image = await records.deciding(digest, async (lease) => {
      const rejected: QuarantinedImage = { ...(await this.waiting(digest)), state: 'rejected', by, at: new Date().toISOString(), ...(reason ? { reason } : {}) };
      await records.put(rejected, lease);
      return rejected;
    });
    this.deps.log.info({ digest, by }, 'quarantined image rejected');
    await this.deps.appendRunLog(image.runId, [`slipway: quarantine: rejected by ${by}${reason ? `: ${reason}` : ' (no reason given)'}; ${image.images.join(', ')} stay where they were`]);
    return image;
  }

  private async waiting(digest: string): Promise<QuarantinedImage> {
    const image = await this.deps.records.get(digest);
    if (!image) throw new NotFoundError(`no quarantined image ${digest}`, 'quarantine_not_found');
    if (image.state !== 'quarantined') throw new ConflictError(`${digest} was already ${image.state} by ${image.by ?? 'a scanner'}`, 'quarantine_decided');
    return image;
  }
}

/** The image a finished quarantined run left waiting, if it pushed one. */
export function imageOfRun(run: Run): QuarantinedImage | undefined {
  return imagesOfRun(run)[0];
}

/** The images a finished quarantined run left waiting, one per digest: a task file's push steps may push several. */
export function imagesOfRun(run: Run): QuarantinedImage[] {
  if (!run.request.quarantine || run.status !== 'succeeded') return [];
  const digests = [...new Set(run.outputImages.filter((o) => o.quarantine).map((o) => o.digest))];
  return digests.map((digest) => waitingImage(run, digest));
}

function waitingImage(run: Run, digest: string): QuarantinedImage {
  const outputs = run.outputImages.filter((o) => o.quarantine && o.digest === digest);
  const platforms =
    run.platforms.length === 1
      ? { [run.platforms[0]!]: digest }
      : Object.fromEntries((run.platformResults ?? []).flatMap((r) => (r.digest ? [[r.platform, r.digest]] : [])));
  return {
    digest,
    images: outputs.map((o) => `${o.registry}/${o.repository}:${o.tag}`),
    platforms,
    runId: run.id,
    ...(run.task ? { task: run.task } : {}),
    createdAt: run.finishedAt ?? new Date().toISOString(),
    state: 'quarantined',
  };
}
