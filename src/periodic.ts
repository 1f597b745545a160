// A job run every so often in the background: a pass never starts while the previous one is still going,
// a failed pass is reported and the next one runs as usual, and stop() waits for the pass under way.
export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly everyMs: number,
    private readonly pass: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Passes every `everyMs`; with `firstAfterMs`, the first one comes that soon (an hourly job need not wait an hour). */
  start(firstAfterMs?: number): void {
    this.timer = setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
    if (firstAfterMs !== undefined) {
      this.first = setTimeout(() => this.tick(), firstAfterMs);
      this.first.unref();
    }
  }

  private tick(): void {
    this.running ??= this.pass()
      .then(() => undefined, this.onError)
      .finally(() => (this.running = undefined));
  }

  async stop(): Promise<void> {
    clearTimeout(this.first);
    clearInterval(this.timer);
    await this.running;
  }
}
