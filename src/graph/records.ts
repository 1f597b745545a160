// What the base-image rebuild service needs of graph and wave storage. GraphStore and WaveStore (Redis) are
// the adapters; planning itself (plan.ts) is pure and reads a GraphView.
import type { Lease } from '../store/lock.js';
import type { BaseImagePolicy, GraphNode } from './model.js';
import type { GraphView } from './plan.js';
import type { Wave, WaveEntry } from './wave-model.js';

export interface KnownDigest {
  task: string;
  image: string;
  platform: string;
  /** The base's platform (differs from `platform` for a stage FROM --platform=$BUILDPLATFORM). */
  basePlatform: string;
  digest: string;
}

/** Reads task policies for the planner; the task store answers it. */
export type PolicyReader = (tasks: string[]) => Promise<Map<string, BaseImagePolicy>>;

export interface GraphRecords {
  node(task: string): Promise<GraphNode | undefined>;
  nodes(tasks: string[]): Promise<GraphNode[]>;
  /** Replaces a task's node with what its latest successful run used and pushed. */
  record(node: GraphNode): Promise<void>;
  /** Puts a task's known digests back to those its last successful run used. */
  resetKnown(task: string): Promise<void>;
  remove(task: string): Promise<void>;
  /** Tasks whose last successful run pushed the image. */
  producers(image: string): Promise<string[]>;
  isBaseImage(image: string): Promise<boolean>;
  images(): Promise<string[]>;
  tasks(): Promise<string[]>;
  /** Compare-and-set of known digests: returns those that changed (the others were already acted on). */
  claim(digests: KnownDigest[]): Promise<KnownDigest[]>;
  /** The part of the graph a change of `image` can reach, for the planner. */
  view(image: string, policies: PolicyReader, maxTasks?: number): Promise<GraphView>;
}

export interface ReadyRef {
  wave: string;
  task: string;
}

export interface WaveRecords {
  /** The same records, writing only while `lease` holds the rebuild lock. */
  fenced(lease: Lease): WaveRecords;
  nextId(): Promise<string>;
  create(wave: Wave, entries: WaveEntry[]): Promise<void>;
  markReady(wave: string, tasks: string[]): Promise<void>;
  get(id: string): Promise<Wave | undefined>;
  list(top: number): Promise<Wave[]>;
  entries(id: string): Promise<WaveEntry[]>;
  entry(id: string, task: string): Promise<WaveEntry | undefined>;
  entriesAt(refs: ReadyRef[]): Promise<(WaveEntry | undefined)[]>;
  putEntries(id: string, entries: WaveEntry[]): Promise<void>;
  /** The wave that holds each task's unsettled entry, if any. */
  wavesOf(tasks: string[]): Promise<Map<string, string>>;
  releaseTask(task: string, wave: string): Promise<void>;
  popReady(n: number): Promise<ReadyRef[]>;
  readyCount(): Promise<number>;
  activeCount(): Promise<number>;
  activeMembers(): Promise<{ member: string; since: number }[]>;
  addActive(member: string): Promise<void>;
  /** Marks an active member as active from now on; false when it is no longer active (nothing is written). */
  renewActive(member: string): Promise<boolean>;
  removeActive(member: string): Promise<void>;
  linkRun(runId: string, ref: ReadyRef): Promise<void>;
  /** A ready entry's run was created: linked, counted as active in place of its placeholder, marked dispatched; atomically. */
  dispatched(ref: ReadyRef, runId: string, entry: WaveEntry): Promise<void>;
  runRef(runId: string): Promise<ReadyRef | undefined>;
  unlinkRun(runId: string, task: string): Promise<void>;
  inFlight(tasks: string[]): Promise<string[]>;
  placeholder(ref: ReadyRef): string;
}
