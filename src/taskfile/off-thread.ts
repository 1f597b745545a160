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
/** What the thread sends once it has loaded: the time limit counts from then, not from its (slow) start. */
export const THREAD_READY = 'slipway-task-file-thread-ready';

/** The references the file's push steps push, rendered with the variables given. */
export interface CheckResult {
  pushes: string[];
}

const TIME_LIMIT_MS = 10_000;

export class TaskFileChecker {
  private worker: { thread: Worker; ready: Promise<void> } | undefined;
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
    const worker = this.worker;
    this.worker = undefined;
    await worker?.thread.terminate();
  }

  private async run(request: CheckRequest): Promise<CheckResult> {
    const started = (this.worker ??= startWorker());
    try {
      await started.ready;
    } catch (err) {
      if (this.worker === started) this.worker = undefined;
      throw err;
    }
    const worker = started.thread;
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

function startWorker(): { thread: Worker; ready: Promise<void> } {
  const url = new URL(import.meta.url.endsWith('.ts') ? './check-thread.ts' : './check-thread.js', import.meta.url);
  // Run from sources (tests through tsx), the thread needs tsx's loader too: the parent's hooks do not reach it.
  const worker = url.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((m) => m.tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(url.href)}))`, { eval: true })
    : new Worker(url);
  // An idle checker must not keep the process alive.
  worker.unref();
  const ready = new Promise<void>((resolve, reject) => {
    const onMessage = (message: unknown) => message === THREAD_READY && settle();
    const onError = (err: Error) => settle(err);
    const onExit = (code: number) => settle(new Error(`the task file checker's thread exited with ${code} before it was ready`));
    const settle = (err?: Error) => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
  return { thread: worker, ready };
}

/** The process's one checker. */
export const taskFileChecker = new TaskFileChecker();
