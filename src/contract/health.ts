// GET /v1/health: the API answers and reaches Redis.
import * as z from '../zod-mini.js';

export const Health = z.object({ status: z.literal('ok') });
export type Health = z.infer<typeof Health>;
