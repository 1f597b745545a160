// What the webhook receivers answer (src/triggers). Their request bodies are other systems' formats
// (GitHub's events, a registry's notification envelopes), checked by the receivers themselves.
import * as z from '../zod-mini.js';

/** A push or pull-request delivery from GitHub or another forge: what came of it, and its delivery id. */
export const DeliveryAnswer = z.object({
  status: z.enum(['queued', 'deferred', 'ignored', 'duplicate', 'accepted', 'pong']),
  /** The runs it started, and the tasks whose commit waits for the run going now. */
  runs: z.optional(z.array(z.string())),
  deferred: z.optional(z.array(z.string())),
  reason: z.optional(z.string()),
  zen: z.optional(z.string()),
  deliveryId: z.optional(z.string()),
});
export type DeliveryAnswer = z.infer<typeof DeliveryAnswer>;

/** A registry notification envelope: the tag pushes taken as base-image changes, and the events passed over. */
export const RegistryNotificationAnswer = z.object({
  accepted: z.array(z.object({ image: z.string(), digest: z.string() })),
  ignored: z.array(z.string()),
});
export type RegistryNotificationAnswer = z.infer<typeof RegistryNotificationAnswer>;
