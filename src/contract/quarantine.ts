// The quarantine gate over HTTP: images a quarantined run pushed by digest, waiting for a scanner's verdict.
// A record is keyed by the manifest (or index) digest; it names every tag the run would have moved. The
// request shapes are here rather than in requests.ts: the quarantine routes are the only ones that take them.
import * as z from '../zod-mini.js';

export const QUARANTINE_STATES = ['quarantined', 'approved', 'rejected'] as const;
export type QuarantineState = (typeof QUARANTINE_STATES)[number];

export const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** A rejection's reason, shown on the run: one short paragraph. */
export const MAX_REASON = 1000;

/** Where an image's verdict stands, as a run's output image records it. */
export const QuarantineMark = z.object({
  state: z.enum(QUARANTINE_STATES),
  /** The scanner (token name) that decided, and when. */
  by: z.optional(z.string()),
  at: z.optional(z.string()),
  /** Why it was rejected; or the scanner's note on an approval. */
  reason: z.optional(z.string()),
});
export type QuarantineMark = z.infer<typeof QuarantineMark>;

export const QuarantinedImage = z.object({
  digest: z.string(),
  /** The tags (`registry/repository:tag`) the image goes under once approved; each repository holds the digest. */
  images: z.array(z.string()),
  /** Platform → manifest digest: the platforms the image serves, as the base-image graph reads them. */
  platforms: z.record(z.string(), z.string()),
  runId: z.string(),
  task: z.optional(z.string()),
  createdAt: z.string(),
  ...QuarantineMark.shape,
});
export type QuarantinedImage = z.infer<typeof QuarantinedImage>;

export const QuarantineList = z.object({ images: z.array(QuarantinedImage) });
export type QuarantineList = z.infer<typeof QuarantineList>;

export const QuarantineListQuery = z.strictObject({
  state: z.optional(z.enum(QUARANTINE_STATES)),
  top: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000)), 100),
});

export const QuarantineDecision = z.strictObject({
  reason: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_REASON))),
});
export type QuarantineDecision = z.output<typeof QuarantineDecision>;

/** What an approval did: the record as it is now, and the rebuild waves the tags' move started. */
export const QuarantineApproval = z.object({
  image: QuarantinedImage,
  waves: z.array(z.string()),
});
export type QuarantineApproval = z.infer<typeof QuarantineApproval>;
