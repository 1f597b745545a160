// Checks task files in a worker thread, one at a time. The YAML parser takes time in proportion to the text
// (and more for some shapes); on the API's event loop twenty hostile files in a row would hold every other
// request, health checks included. A file that takes too long ends its thread, and the next starts afresh.
import { Worker } from 'node:worker_threads';
import { TaskFileError, type TaskFileIssue } from './errors.js';
import type { LoadOptions } from './load.js';

export interface CheckRequest {
  id: number;
  input: string | Uint8Array;
  opts: LoadOptions;
}
export type CheckReply = { id: number; ok: true; pushes: string[] } | { id: number; ok: false; file: string; issues: TaskFileIssue[] } | { id: number; ok: false; message: string };

/** The references the file's push steps push, rendered with the variables given. */
export interface CheckResult {
  pushes: string[];
}

const TIME_LIMIT_MS = 10_000;
/** For the thread to load its modules: seconds on a loaded machine, and no fault of the file's. */
const START_LIMIT_MS = 60_000;

interface Checker {
  worker: Worker;
  /** Resolves once the thread has loaded and listens. */
  ready: Promise<void>;
}

export class TaskFileChecker {
  private worker: Checker | undefined;
  private queue: Promise<void> = Promise.resolve();
  private nextId = 0;

  /** Resolves with what its push steps push when the file is a valid task file; rejects with its TaskFileError otherwise. */
  check(input: string | Uint8Array, opts: LoadOptions): Promise<CheckResult> {
    const result = this.queue.then(() => this.run({ id: ++this.nextId, input, opts }));
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  async close(): Promise<void> {
    const checker = this.worker;
    this.worker = undefined;
    await checker?.worker.terminate();
  }

  private async run(request: CheckRequest): Promise<CheckResult> {
    const checker = (this.worker ??= startWorker());
    const { worker } = checker;
    try {
      await checker.ready;
    } catch (err) {
      if (this.worker === checker) this.worker = undefined;
      void worker.terminate();
      throw err;
    }
    return new Promise<CheckResult>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
      };
      const onMessage = (reply: CheckReply) => {
        if (reply.id !== request.id) return;
        done();
        if (reply.ok) resolve({ pushes: reply.pushes });
        else if ('issues' in reply) reject(new TaskFileError(reply.file, reply.issues));
        else reject(new Error(`checking the task file failed: ${reply.message}`));
      };
      const onError = (err: Error) => {
        done();
        this.worker = undefined;
        reject(err);
      };
      const timer = setTimeout(() => {
        done();
        this.worker = undefined;
        void worker.terminate();
        reject(new TaskFileError(request.opts.file, [{ line: 1, column: 1, message: `reading the task file took longer than ${TIME_LIMIT_MS / 1000} s; simplify it` }]));
      }, TIME_LIMIT_MS);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.postMessage(request);
    });
  }
}

function startWorker(): Checker {
  const url = new URL(import.meta.url.endsWith('.ts') ? './check-thread.ts' : './check-thread.js', import.meta.url);
  // Run from sources (tests through tsx), the thread needs tsx's loader too: the parent's hooks do not reach it.
  const worker = url.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((m) => m.tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(url.href)}))`, { eval: true })
    : new Worker(url);
  // An idle checker must not keep the process alive.
  worker.unref();
  const ready = new Promise<void>((resolve, reject) => {
    const settle = (err?: Error) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', settle);
      worker.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    const onMessage = (message: unknown) => (message as { ready?: unknown } | null)?.ready === true && settle();
    const onExit = (code: number) => settle(new Error(`the task-file checker thread exited with ${code} before it was ready`));
    const timer = setTimeout(() => settle(new Error(`the task-file checker thread did not start within ${START_LIMIT_MS / 1000} s`)), START_LIMIT_MS);
    timer.unref();
    worker.on('message', onMessage);
    worker.once('error', settle);
    worker.once('exit', onExit);
  });
  // A failure is read by the run that awaits it; one with no run waiting must not be an unhandled rejection.
  ready.catch(() => undefined);
  return { worker, ready };
}

/** The process's one checker. */
export const taskFileChecker = new TaskFileChecker();
