// GET /v1/health: the API answers and reaches Redis.
import * as z from '../zod-mini.js';

export const Health = z.object({ status: z.literal('ok') });
export type Health = z.infer<typeof Health>;

/**
 * GET /v1/ready: whether this API can take builds: Redis answers and a live worker serves every platform the
 * server promises (SLIPWAY_READY_PLATFORMS). 503 with the same shape when not, naming what is missing.
 */
export const Ready = z.object({
  status: z.enum(['ready', 'not_ready']),
  redis: z.boolean(),
  /** The promised platforms that no live worker serves. */
  unserved: z.array(z.string()),
});
export type Ready = z.infer<typeof Ready>;
