// Buffers a run's log lines and writes them to its Redis Stream in batches, masking secrets first.
// A batch waits a few tens of milliseconds at most, so followers see lines live, and a build that prints a
// flood costs one round trip per batch, not per line.
import type { SecretMasker } from '../src/log.js';
import type { RunProgress } from '../src/runs/progress.js';

const FLUSH_MS = 50;
const BATCH = 500;

export class RunLogWriter {
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** The last lines written, for error messages. */
  readonly tail: string[] = [];

  constructor(
    private readonly runs: Pick<RunProgress, 'appendLog'>,
    private readonly runId: string,
    private readonly masker: SecretMasker,
    /** Marks each line, e.g. `[linux/arm64] ` when platforms build side by side. */
    private readonly prefix = '',
  ) {}

  line(text: string): void {
    for (const l of this.masker.mask(text).split(/\r?\n/)) {
      this.buffer.push(this.prefix + l);
      this.tail.push(l);
    }
    if (this.tail.length > 40) this.tail.splice(0, this.tail.length - 40);
    if (this.buffer.length >= BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes what is buffered; resolves when everything written so far is in Redis. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(() => this.runs.appendLog(this.runId, lines));
    return this.writing;
  }
}
