// What a sandboxed build child tells its worker about the metrics only it sees, one JSON object a line over
// the worker's metrics socket. Checked on arrival: labels must stay low-cardinality whatever a child sends.
import * as z from '../../src/zod-mini.js';

const count = z.number().check(z.int(), z.nonnegative());

export const RegistryRequestReport = z.object({
  /** `host[:port]` as the registry client names it. */
  host: z.string().check(z.regex(/^[A-Za-z0-9.\-:[\]]{1,255}$/)),
  /** The registry client's operation name (getManifest, pushBlob, …). */
  operation: z.string().check(z.regex(/^[A-Za-z]{1,40}$/)),
  status: z.optional(z.number().check(z.int())),
  seconds: z.number().check(z.nonnegative()),
});
export type RegistryRequestReport = z.infer<typeof RegistryRequestReport>;

export const ChildMetricsReport = z.object({
  /** Log bytes written since the last report, by platform. */
  logBytes: z.record(z.string().check(z.maxLength(64)), count),
  registry: z.array(RegistryRequestReport).check(z.maxLength(10_000)),
  /** Asks the worker to answer `{"ack": flush}` once this report and all before it are counted. */
  flush: z.optional(count),
});
export type ChildMetricsReport = z.infer<typeof ChildMetricsReport>;

export const FlushAck = z.object({ ack: count });

/** The longest line either side reads: a report of the most requests allowed, with room to spare. */
export const MAX_LINE_BYTES = 2 * 1024 * 1024;
