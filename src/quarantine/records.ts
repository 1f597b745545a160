// What the quarantine gate needs of storage. QuarantineStore (Redis) is the adapter.
import type { QuarantinedImage, QuarantineState } from '../contract/quarantine.js';
import type { Lease } from '../store/lock.js';

export interface QuarantineRecords {
  get(digest: string): Promise<QuarantinedImage | undefined>;
  /** Newest first, optionally only those in one state. */
  list(opts: { state?: QuarantineState; top: number }): Promise<QuarantinedImage[]>;
  /** Writes a record; under a verdict's lease when one is given, so a stalled holder cannot write over the next. */
  put(image: QuarantinedImage, lease?: Lease): Promise<void>;
  /** Runs `body` holding the image's verdict lock. */
  deciding<T>(digest: string, body: (lease: Lease) => Promise<T>): Promise<T>;
}
