// Cuts a byte stream into lines for the run log; a final line without a newline is kept until flush().
export class LineSplitter {
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  write(chunk: Buffer | string): void {
    this.pending += chunk.toString();
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      this.onLine(this.pending.slice(0, nl).replace(/\r$/, ''));
      this.pending = this.pending.slice(nl + 1);
    }
    // A process printing megabytes without a newline must not grow this forever.
    if (this.pending.length > 64 * 1024) this.flush();
  }

  flush(): void {
    if (this.pending) this.onLine(this.pending);
    this.pending = '';
  }
}
