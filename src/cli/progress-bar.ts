// A one-line progress bar for a terminal's stderr (upload of the build context). Off a terminal it draws
// nothing, so logs and pipes stay clean.
import { formatBytes } from './format.js';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const REDRAW_MS = 100;

export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly total: number,
  ) {}

  /** A bar when the stream is a terminal; none otherwise. */
  static forStream(stream: ProgressStream, label: string, total: number): ProgressBar | undefined {
    return stream.isTTY ? new ProgressBar(stream, label, total) : undefined;
  }

  update(done: number): void {
    const now = Date.now();
    if (now - this.lastDraw < REDRAW_MS && done < this.total) return;
    this.lastDraw = now;
    this.drawn = true;
    this.stream.write(`\r${renderBar(this.label, done, this.total, this.stream.columns || 80)}\x1b[K`);
  }

  /** Clears the bar's line. */
  finish(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** `label [#####.....]  45% 12.3 MiB/27.0 MiB`, fitted to `columns`. */
export function renderBar(label: string, done: number, total: number, columns: number): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  // Fixed width, so the bar does not jump as the numbers grow.
  const tail = ` ${String(Math.floor(fraction * 100)).padStart(3)}% ${formatBytes(Math.min(done, total)).padStart(10)}/${formatBytes(total).padEnd(10)}`.trimEnd();
  const room = columns - 1 - label.length - tail.length - 3;
  if (room < 10) return `${label}${tail}`.slice(0, Math.max(0, columns - 1));
  const width = Math.min(40, room);
  const filled = Math.round(fraction * width);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail}`;
}
