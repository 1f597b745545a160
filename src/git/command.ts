// The one way Slipway runs git (the worker's mirror cache and the API's ls-remote): an argument array (never
// a shell string), a prepared environment (./environment.ts), stdout capped, every stderr line masked before
// anyone sees it, and the whole process group killed on a deadline or an abort (git starts helpers such as
// git-remote-https and index-pack that a kill of git alone would orphan).
// It spawns git itself rather than through simple-git: see the README's "Git" section for what that costs.
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import type { SecretMasker } from '../log.js';

export interface GitRunOptions {
  /** Epoch ms after which the process group is killed. */
  deadline?: number;
  signal?: AbortSignal;
  /** Masked stderr lines; progress lines (ended by \r) at most once a second. */
  onLine?: (line: string) => void;
  /** Variables added to the prepared environment for this command only (GIT_INDEX_FILE). */
  env?: Readonly<Record<string, string>>;
}

export interface GitRunResult {
  code: number | null;
  stdout: string;
  /** The last 64 KiB of stderr, masked. */
  stderr: string;
  /** Set when git was killed rather than exiting by itself. */
  killed?: 'deadline' | 'signal';
}

const STDERR_TAIL = 64 * 1024;
const MAX_STDOUT = 256 * 1024 * 1024;
const PROGRESS_EVERY_MS = 1000;

export class GitCli {
  constructor(
    private readonly env: Readonly<Record<string, string>>,
    private readonly masker: SecretMasker,
    private readonly binary = 'git',
  ) {}

  run(args: readonly string[], opts: GitRunOptions = {}): Promise<GitRunResult> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return resolve({ code: null, stdout: '', stderr: '', killed: 'signal' });
      if (opts.deadline !== undefined && Date.now() >= opts.deadline) return resolve({ code: null, stdout: '', stderr: '', killed: 'deadline' });
      // detached: git leads its own process group, so one kill reaches its helpers too.
      // cwd: the empty HOME, so nothing git might discover around the worker's own directory is read.
      const child = spawn(this.binary, args, { cwd: this.env.HOME, env: { ...this.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let killed: GitRunResult['killed'];
      const kill = (why: NonNullable<GitRunResult['killed']>) => {
        if (killed || child.exitCode !== null || child.pid === undefined) return;
        killed = why;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      const timer = opts.deadline === undefined ? undefined : setTimeout(() => kill('deadline'), Math.max(0, opts.deadline - Date.now()));
      const onAbort = () => kill('signal');
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      const stdout: Buffer[] = [];
      let stdoutBytes = 0;
      child.stdout.on('data', (c: Buffer) => {
        stdoutBytes += c.length;
        if (stdoutBytes <= MAX_STDOUT) stdout.push(c);
      });
      const lines = new LineSplitter(this.masker, opts.onLine);
      child.stderr.on('data', (c: Buffer) => lines.push(c));

      child.once('error', (err) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        reject(new Error(`cannot run ${this.binary}: ${err.message}`));
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        lines.end();
        if (stdoutBytes > MAX_STDOUT) return reject(new Error(`git ${args[0] ?? ''} printed more than ${MAX_STDOUT} bytes`));
        resolve({ code, stdout: Buffer.concat(stdout).toString(), stderr: lines.tail(), ...(killed ? { killed } : {}) });
      });
    });
  }
}

/** Splits stderr into lines on \n and \r, masks each, throttles progress, and keeps a masked tail. */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private kept: string[] = [];
  private keptChars = 0;
  private lastProgress = 0;

  constructor(
    private readonly masker: SecretMasker,
    private readonly onLine?: (line: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.partial += this.decoder.write(chunk);
    let at: number;
    while ((at = this.partial.search(/[\r\n]/)) !== -1) {
      const line = this.partial.slice(0, at);
      const progress = this.partial[at] === '\r' && this.partial[at + 1] !== '\n';
      this.partial = this.partial.slice(at + (this.partial.startsWith('\r\n', at) ? 2 : 1));
      this.emit(line, progress);
    }
    // A line without an end this long is not a line; emit it in pieces rather than grow without bound.
    if (this.partial.length > STDERR_TAIL) (this.emit(this.partial, false), (this.partial = ''));
  }

  end(): void {
    this.partial += this.decoder.end();
    if (this.partial !== '') this.emit(this.partial, false);
    this.partial = '';
  }

  tail(): string {
    return this.kept.join('\n');
  }

  private emit(raw: string, progress: boolean): void {
    const line = this.masker.mask(raw.trimEnd());
    if (line.trim() === '') return;
    if (!progress) {
      this.kept.push(line);
      this.keptChars += line.length + 1;
      while (this.keptChars > STDERR_TAIL && this.kept.length > 1) this.keptChars -= this.kept.shift()!.length + 1;
    }
    if (!this.onLine) return;
    if (progress) {
      const now = Date.now();
      if (now - this.lastProgress < PROGRESS_EVERY_MS) return;
      this.lastProgress = now;
    }
    try {
      this.onLine(line);
    } catch {
      // a failing log sink must not take the git process down with an uncaught exception
    }
  }
}
