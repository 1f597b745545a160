// What the task service needs of task storage and of the one-run-at-a-time slots. TaskStore and TaskSlots
// (Redis) are the adapters.
import type { Task } from './model.js';

export interface TaskRecords {
  get(name: string): Promise<Task | undefined>;
  /** Writes a task; `create` refuses to overwrite one that exists. Returns false when it did exist. */
  put(task: Task, opts: { create: boolean; token?: string | null; webhookToken?: string | null; previousRepository?: string }): Promise<boolean>;
  delete(name: string): Promise<boolean>;
  list(): Promise<Task[]>;
  byRepository(repository: string): Promise<Task[]>;
  /** Each existing task's base-image trigger. */
  baseImageTriggers(names: string[]): Promise<Map<string, Task['baseImageTrigger']>>;
  /** The task's git token; never part of the task itself. */
  token(name: string): Promise<string | undefined>;
  /** Whether `presented` is the task's generic-webhook token; false when it has none. */
  webhookTokenMatches(name: string, presented: string): Promise<boolean>;
}

/** A task's slot holds the run that has it (or the trigger creating one); triggers meanwhile collapse into one pending. */
export interface TaskSlotRecords {
  /** Takes the free slot for `holder`; otherwise returns who holds it. */
  claim(task: string, holder: string): Promise<string | undefined>;
  /** Hands the slot from `from` to `to`; false if `from` no longer holds it. */
  replace(task: string, from: string, to: string, claimOnly?: boolean): Promise<boolean>;
  release(task: string, holder: string): Promise<boolean>;
  holder(task: string): Promise<string | undefined>;
  /** Remembers the newest trigger that arrived while the slot was taken. */
  defer(task: string, trigger: string): Promise<void>;
  takeDeferred(task: string): Promise<string | undefined>;
}
