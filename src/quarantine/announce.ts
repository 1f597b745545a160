// Where the outside world hears that an image waits for a scanner, so one can be wired without polling.
import type { QuarantinedImage } from '../contract/quarantine.js';
import type { Logger } from '../log.js';

/**
 * Announces a newly quarantined image.
 * MERGE: the outbound webhooks (branch `ops`, its `publishEvent()`) deliver `image.quarantined` from here:
 * `await publishEvent('image.quarantined', image)`. Until then the event is only logged.
 */
export async function announceQuarantined(image: QuarantinedImage, log: Logger): Promise<void> {
  log.info({ digest: image.digest, images: image.images, runId: image.runId }, 'image quarantined');
}
