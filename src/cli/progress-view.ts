// `--progress tty`: the build as buildx draws it on a terminal, from the same `--progress plain` lines the log
// carries (`#5 [2/3] RUN …`, `#5 0.312 output`, `#5 DONE 1.2s`): a header with the time and steps done, each step
// collapsed to one line with its timer, and the last lines of the steps still running under them. The view is
// redrawn in place at most every REDRAW_MS; lines that are not a step's (slipway's own) are printed above it
// and stay. Colours follow buildx (running blue, errors red, cached dim) unless NO_COLOR is set.
import type { ProgressStream } from './progress-bar.js';

const REDRAW_MS = 100;
/** The lines of a running step shown under it. */
const TAIL = 6;

type State = 'running' | 'done' | 'cached' | 'error' | 'canceled';

interface Step {
  index: number;
  name: string;
  state: State;
  started: number;
  /** From the DONE line (BuildKit's own count), else measured here. */
  seconds?: number;
  tail: string[];
}

const STEP_LINE = /^#(\d+) (.*)$/;

export class TtyProgressView {
  private readonly steps = new Map<number, Step>();
  private readonly started: number;
  private height = 0;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly opts: { color: boolean; now?: () => number } = { color: true },
  ) {
    this.started = this.now();
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** One log line, as `--progress plain` would print it. */
  line(text: string): void {
    const m = STEP_LINE.exec(text);
    if (!m) {
      // Above the view, for good: clear the view, print, draw it again under.
      this.clear();
      this.stream.write(`${text}\n`);
      this.height = 0;
      this.draw();
      return;
    }
    const index = Number(m[1]);
    const rest = m[2]!;
    const step = this.steps.get(index);
    if (!step) {
      this.steps.set(index, { index, name: rest, state: 'running', started: this.now(), tail: [] });
    } else if (rest === 'CACHED') step.state = 'cached';
    else if (rest === 'CANCELED') step.state = 'canceled';
    else if (rest.startsWith('ERROR')) {
      step.state = 'error';
      step.tail.push(rest);
    } else if (/^DONE \d+(\.\d+)?s$/.test(rest)) {
      step.state = 'done';
      step.seconds = Number(rest.slice(5, -1));
    } else if (rest !== '...') step.tail = [...step.tail, rest.replace(/^\d+\.\d+ /, '')].slice(-TAIL);
    this.schedule();
  }

  /** The last drawing: every step collapsed but the failed ones, which keep their last lines. */
  finish(): void {
    this.finished = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.clear();
    this.height = 0;
    this.draw();
  }

  private schedule(): void {
    if (this.timer || this.finished) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.redraw();
    }, REDRAW_MS);
    this.timer.unref?.();
  }

  private redraw(): void {
    this.clear();
    this.draw();
    // Timers move while a step runs with no new lines.
    if ([...this.steps.values()].some((s) => s.state === 'running') && !this.finished) this.schedule();
  }

  /** Moves back to where the view began and clears it. */
  private clear(): void {
    if (this.height > 0) this.stream.write(`\x1b[${this.height}A\r\x1b[J`);
  }

  private draw(): void {
    const lines = this.render();
    if (lines.length === 0) return;
    this.stream.write(`${lines.join('\n')}\n`);
    this.height = lines.length;
  }

  private paint(text: string, code: string): string {
    return this.opts.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  /** The view's lines, each cut to the terminal's width. */
  render(): string[] {
    if (this.steps.size === 0) return [];
    const width = Math.max(20, this.stream.columns ?? 80);
    const cut = (s: string) => (s.length > width ? `${s.slice(0, width - 1)}…` : s);
    const all = [...this.steps.values()];
    const ended = all.filter((s) => s.state !== 'running').length;
    const lines = [cut(`[+] Building ${this.seconds(this.now() - this.started)} (${ended}/${all.length})${this.finished ? ' FINISHED' : ''}`)];
    for (const step of all) {
      const time = step.state === 'cached' ? '0.0s' : step.seconds !== undefined ? `${step.seconds.toFixed(1)}s` : this.seconds(this.now() - step.started);
      const label = step.state === 'cached' ? `CACHED ${step.name}` : step.state === 'canceled' ? `CANCELED ${step.name}` : step.state === 'error' ? `ERROR ${step.name}` : step.name;
      const head = `=> ${label}`;
      const pad = Math.max(1, width - head.length - time.length);
      const line = pad > 1 ? `${head}${' '.repeat(pad)}${time}` : cut(`${head} ${time}`);
      const code = { running: '34', done: '', cached: '2', error: '31', canceled: '33' }[step.state];
      lines.push(code ? this.paint(cut(line), code) : cut(line));
      if (step.state === 'running' || step.state === 'error') for (const t of step.tail) lines.push(this.paint(cut(`=> => # ${t}`), step.state === 'error' ? '31' : '2'));
    }
    return lines;
  }

  private seconds(ms: number): string {
    return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  }
}
