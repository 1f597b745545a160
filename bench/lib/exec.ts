// The one way the benchmarks run external commands (tar, curl, docker): argument arrays, never a shell
// string, with the wall time of each command measured around its process.
import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** When the last command's first output arrived, ms after the start; NaN when it printed nothing. */
  firstOutputMs: number;
}

export interface ExecOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export type Command = readonly [cmd: string, args: readonly string[]];

/** Runs `commands` as a pipeline (each one's stdout into the next one's stdin); the result is the last one's. */
export async function exec(commands: readonly Command[], opts: ExecOptions = {}): Promise<ExecResult> {
  const started = performance.now();
  const children = commands.map(([cmd, args]) => spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] }));
  for (let i = 0; i + 1 < children.length; i++) children[i]!.stdout.pipe(children[i + 1]!.stdin);
  children[0]!.stdin.end();
  const last = children[children.length - 1]!;
  let stdout = '';
  let stderr = '';
  let firstOutputMs = NaN;
  last.stdout.on('data', (c: Buffer) => {
    if (stdout === '') firstOutputMs = performance.now() - started;
    stdout += c.toString();
  });
  for (const c of children) c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const codes = await Promise.all(
    children.map((c) => new Promise<number | null>((resolve, reject) => c.once('error', reject).once('close', (code) => resolve(code)))),
  );
  const failed = codes.find((c) => c !== 0);
  return { code: failed === undefined ? 0 : failed, stdout, stderr, ms: performance.now() - started, firstOutputMs };
}

/** As exec, but a non-zero exit is an error carrying the command's stderr. */
export async function execOk(commands: readonly Command[], opts: ExecOptions = {}): Promise<ExecResult> {
  const res = await exec(commands, opts);
  if (res.code !== 0) {
    const line = commands.map(([cmd, args]) => [cmd, ...args].join(' ')).join(' | ');
    throw new Error(`${line} exited with ${res.code}: ${res.stderr.trim().slice(-2000)}`);
  }
  return res;
}
