// The Idempotency-Key header of POST /v1/runs: a client's name for one submission, so that a request
// retried after a dropped connection answers the run the first one created instead of queueing another.
import * as z from '../zod-mini.js';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** How long the API remembers a key. */
export const IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 60 * 60;

/** Printable ASCII without spaces, as a UUID or any token a client makes up. */
export const IdempotencyKey = z.string().check(z.regex(/^[\x21-\x7e]{1,255}$/, 'an Idempotency-Key is 1 to 255 printable ASCII characters without spaces'));

export const IDEMPOTENCY_KEY_DOC =
  `a key of the client's choosing (a UUID) naming this submission; for ${IDEMPOTENCY_KEY_TTL_SECONDS / 3600} h the same key with the same body answers the run it created (200) instead of queueing another, and with another body is refused (409)`;
