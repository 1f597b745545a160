// A few large buffers, used again and again: the first touch of each page of fresh memory is a page fault
// (dearer in a VM whose host has not backed it yet), and reading a context into new buffers paid that for
// every page. A buffer comes back once the stream it was written to calls
// back for that write, that is, once the stream has let go of it: a socket, a file or zlib, never a
// PassThrough, which hands the same memory on.

export class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly waiting: ((buffer: Buffer) => void)[] = [];
  private made = 0;

  /** At most `count` buffers of `size` bytes, made when first needed. */
  constructor(
    private readonly size: number,
    private readonly count: number,
  ) {}

  /** A buffer to fill; waits while all of them are out. */
  async take(): Promise<Buffer> {
    const buffer = this.free.pop();
    if (buffer) return buffer;
    if (this.made < this.count) {
      this.made++;
      return Buffer.allocUnsafeSlow(this.size);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Gives a buffer back, to whoever waits for one first. */
  give(buffer: Buffer): void {
    const next = this.waiting.shift();
    if (next) next(buffer);
    else this.free.push(buffer);
  }
}
