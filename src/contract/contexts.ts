// Build contexts: the gzipped tar a client uploads (POST /v1/contexts) and names by digest in a run.
import * as z from '../zod-mini.js';

/** How a stored context is named: the sha256 of the uploaded gzip bytes. */
export const CONTEXT_DIGEST = /^sha256:[a-f0-9]{64}$/;

export const StoredContext = z.object({
  digest: z.string().check(z.regex(CONTEXT_DIGEST)),
  /** Bytes stored: the upload as sent. */
  size: z.int().check(z.nonnegative()),
});
export type StoredContext = z.infer<typeof StoredContext>;
