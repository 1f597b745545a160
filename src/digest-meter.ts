// A pass-through stream that hashes (sha256) and counts what flows through it, optionally refusing to pass
// more than a limit: for uploads, packed contexts and image layers, digested while they are written.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class DigestMeter extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  /** `tooLarge` makes the stream fail with its error once more than `maxBytes` have come; `highWaterMark` sizes its queues. */
  constructor(private readonly limit?: { maxBytes: number; tooLarge: () => Error }, highWaterMark?: number) {
    super({ highWaterMark });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.limit && this.size > this.limit.maxBytes) return done(this.limit.tooLarge());
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** `sha256:<hex>` of everything passed; call once, after the stream has finished. */
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}
