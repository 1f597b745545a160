// The `slipway` command as tests run it: a child process of the CLI (the shipped bundle when `npm test` built
// it, else the sources through tsx; see entry.ts), and folders of files for it to build.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cliCommand } from './entry.js';

export interface CliResult {
  /** The exit code; null when the process was killed (a timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `slipway ARGS` to its end; never rejects, whatever the exit code. */
export function runSlipway(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; /** Written to its standard input, which is then closed. */ input?: string }): Promise<CliResult> {
  const [program, ...first] = cliCommand();
  return new Promise((resolve) => {
    const child = execFile(program, [...first, ...args], { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs ?? 0, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** A new temporary folder holding `files` (path → content, directories made as needed). */
export async function folderWith(files: Record<string, string>, prefix = 'slipway-cli-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
  return dir;
}
