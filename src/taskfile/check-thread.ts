// The worker thread of TaskFileChecker (off-thread.ts): loads each task file it is sent and answers with its
// issues, so a file that is slow to parse costs this thread, not the API's event loop.
import { parentPort } from 'node:worker_threads';
import { TaskFileError } from './errors.js';
import { loadTaskFile } from './load.js';
import { THREAD_READY, type CheckReply, type CheckRequest } from './off-thread.js';

parentPort!.on('message', ({ id, input, opts }: CheckRequest) => {
  let reply: CheckReply;
  try {
    const { task } = loadTaskFile(input, opts);
    reply = { id, ok: true, pushes: task.steps.flatMap((step) => step.push ?? []) };
  } catch (err) {
    reply = err instanceof TaskFileError ? { id, ok: false, file: err.file, issues: err.issues } : { id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});

parentPort!.postMessage(THREAD_READY);
