// A BullMQ Worker whose jobs take a build slot before they run, so that a worker's two queues of one capability
// (the shared queue and its own, for cache affinity: src/queue/affinity.ts) share one concurrency budget. A job
// that finds no slot is never held: a job of the shared queue goes back to it for any other worker, and one of
// the worker's own queue is handed to the shared queue. BullMQ has no hook before a fetched job runs, so the
// slot is taken in callProcessJob, the step its Worker documents for subclasses to wrap.
import { WaitingError, Worker, type Job, type WorkerOptions } from 'bullmq';

/** What a job of a worker's own queue returns when it found no slot and went to the shared queue. */
export const HANDED_OFF = 'handed-off';

/** The build slots of one capability, shared by the Workers of its queues; `changed` hears every change. */
export class BuildSlots {
  private used = 0;

  constructor(
    readonly size: number,
    private readonly changed: (free: number) => void = () => undefined,
  ) {}

  get free(): number {
    return this.size - this.used;
  }

  take(): boolean {
    if (this.used >= this.size) return false;
    this.used++;
    this.changed(this.free);
    return true;
  }

  release(): void {
    this.used--;
    this.changed(this.free);
  }
}

export interface Gate {
  slots: BuildSlots;
  /** A job that found no slot: undefined puts it back in its own queue; a function moves it elsewhere. */
  handOn?: (job: Job) => Promise<void>;
  /** A job took a slot, and gave it back. */
  started?: (job: Job) => void;
  ended?: (job: Job) => void;
}

export class GatedWorker extends Worker {
  private gate: Gate | undefined;
  private onError: (err: unknown) => void = () => undefined;

  /**
   * Starts fetching only once the gate is set (the base class would start in its constructor). With
   * `childrenOf`, its jobs run in that Worker's sandbox children: a worker's own queue would otherwise start a
   * child process of its own for its first job (a second or more before that build starts), though the shared
   * queue's children sit idle whenever a slot is free.
   */
  static start(queueName: string, processor: string, opts: WorkerOptions, gate: Gate, onError: (err: unknown) => void, childrenOf?: GatedWorker): GatedWorker {
    const worker = new GatedWorker(queueName, processor, { ...opts, autorun: false });
    worker.gate = gate;
    worker.onError = onError;
    // BullMQ's sandbox function reads its pool and nothing of the Worker it was made for.
    if (childrenOf) worker.processFn = childrenOf.processFn;
    worker.run().catch(onError);
    return worker;
  }

  /**
   * Fetches only while its capability has a free slot (the jobs it holds run on), so a job of its queue is not
   * taken only to be put back while the slots are full.
   */
  followSlots(free: number): void {
    if (free === 0) {
      if (!this.isPaused()) void this.pause(true);
      return;
    }
    if (!this.isPaused()) return;
    // BullMQ ends the fetch loop of a paused Worker with nothing to run, and resume() restarts it only when
    // the loop has fully ended: a resume in between leaves it stopped, so look again once that has settled.
    void this.resume().then(() =>
      setImmediate(() => {
        if (!this.closing && !this.isPaused() && !this.isRunning()) this.run().catch(this.onError);
      }),
    );
  }

  protected override async callProcessJob(job: Job, token: string, signal?: AbortSignal): Promise<unknown> {
    const gate = this.gate!;
    if (!gate.slots.take()) {
      if (!gate.handOn) {
        // The slot went to a job of the worker's own queue while this one was being fetched.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      await gate.handOn(job);
      return HANDED_OFF;
    }
    gate.started?.(job);
    try {
      return await super.callProcessJob(job, token, signal);
    } finally {
      gate.slots.release();
      gate.ended?.(job);
    }
  }
}
