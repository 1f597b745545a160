// BaseImageRebuilds: what happens when a base image changes. A change (from a registry notification,
// polling, `slipway graph notify`, or a Slipway run that pushed the image) is planned over the graph,
// the tasks that build on it directly are claimed by compare-and-set on their known digests (so the
// same push reported twice rebuilds nothing twice), and a wave is written in which each task waits for
// every parent it has in the plan. Runs are dispatched at the rebuild priority under a cap shared by
// all waves; when one ends, its children learn what it pushed, and those whose parents are all settled
// become ready — each task rebuilt once per wave, after all of its updated ancestors.
import { setTimeout as sleep } from 'node:timers/promises';
import { isSlipwayError } from '../errors.js';
import type { Logger } from '../log.js';
import { isTerminal, type RebuildCause, type Run, type Trigger } from '../runs/model.js';
import type { Lease } from '../store/lock.js';
import type { ImageChange } from './model.js';
import { nodeFromRun, pushedPlatforms } from './run-records.js';
import { planRebuilds, type GraphView, type Plan } from './plan.js';
import type { GraphRecords, KnownDigest, PolicyReader, ReadyRef, WaveRecords } from './records.js';
import { isSettled, type Wave, type WaveEntry, type WaveSource } from './wave-model.js';
import { afterParentSettled, causeChain, toEntries } from './wave-plan.js';

/** The rebuild lock: waves are planned and advanced one at a time, whichever API instance hears of a change. */
export interface RebuildLock {
  with<T>(body: (lease: Lease) => Promise<T>): Promise<T>;
}

export interface RebuildOptions {
  /** Base-image rebuild runs queued or running at once, across all waves. */
  concurrency: number;
  maxPlanTasks: number;
  /** A dispatch that has not linked its run after this long was lost with its API instance (default 5 min). */
  lostDispatchMs?: number;
  /**
   * The run already created for a task in a wave, if any. A dispatch lost with its API instance may have
   * created its run before it died: dispatching the entry again links that run instead of a second one.
   */
  rebuildRunOf?: (task: string, wave: string) => Promise<Run | undefined>;
  /** Hears each wave this instance planned, once it is written (metrics). */
  planned?: (wave: Wave) => void;
  /** Waits before starting an entry again after a passing failure (its git host timed out); one start more than delays. */
  startRetryDelaysMs?: readonly number[];
}

export interface ChangeOutcome {
  plan: Plan;
  wave?: Wave;
  /** Tasks that were already waiting in an earlier wave; the change joined their entries. */
  joined: string[];
  /** Why nothing was planned at all, when that is so. */
  ignored?: string;
}

const MAX_SKIPPED_KEPT = 200;
/**
 * Rebuilds started at once. Starting one asks its task's git host for the commit: a wave of hundreds of tasks
 * on one repository, under a high cap, would otherwise send it hundreds of requests at the same moment.
 */
const START_BATCH = 16;
/** A dispatch that has not linked its run after this long was lost with its API instance. */
const LOST_DISPATCH_MS = 5 * 60_000;
/**
 * A start that failed for a passing reason (the task's git host did not answer in time, or was unreachable) is
 * tried again after each of these waits, then the entry fails for good: a git host back within about a minute
 * costs the wave nothing, one away for longer does not hold a slot of the cap for ever.
 */
const START_RETRY_DELAYS_MS = [5_000, 15_000, 45_000];

export class BaseImageRebuilds {
  constructor(
    private readonly graph: GraphRecords,
    private readonly waves: WaveRecords,
    private readonly lock: RebuildLock,
    private readonly policies: PolicyReader,
    private readonly startRun: (task: string, trigger: Trigger) => Promise<Run>,
    private readonly opts: RebuildOptions,
    private readonly log: Logger,
  ) {}

  /** Runs `body` under the rebuild lock, with the wave records writing through its lease. */
  private locked<T>(body: (waves: WaveRecords) => Promise<T>): Promise<T> {
    return this.lock.with((lease) => body(this.waves.fenced(lease)));
  }

  /** The impact preview: every task a change of `image` would rebuild, in order, whatever digest it gets. */
  async preview(image: string, transitive: boolean): Promise<Plan> {
    const view = await this.graph.view(image, this.policies, this.opts.maxPlanTasks);
    const platforms = Object.fromEntries(
      view.dependents(image).flatMap((t) => view.node(t)?.bases.find((b) => b.image === image)?.uses.map((u) => [u.basePlatform, 'sha256:(any new digest)']) ?? []),
    );
    const plan = planRebuilds({ ...view, known: () => undefined }, { image, platforms }, { maxTasks: this.opts.maxPlanTasks });
    return transitive ? plan : { ...plan, entries: plan.entries.filter((e) => e.direct) };
  }

  async changed(change: ImageChange, source: WaveSource, upstream: RebuildCause[] = []): Promise<ChangeOutcome> {
    // An approval, like a build, is the producer's own push: its running rebuild cannot be what reported it.
    if (source !== 'build' && source !== 'approval') {
      const busy = await this.waves.inFlight(await this.graph.producers(change.image));
      if (busy.length) {
        const ignored = `${change.image} is pushed by the running rebuild of ${busy.join(', ')}; what builds on it rebuilds when that run ends`;
        return { plan: { image: change.image, entries: [], cycles: [], skipped: [] }, joined: [], ignored };
      }
    }
    const view = await this.graph.view(change.image, this.policies, this.opts.maxPlanTasks);
    // A task that pushed one of the causes must not rebuild for its own push: that would loop.
    const looped = new Set(upstream.flatMap((c) => (c.task ? [c.task] : [])));
    let plan = planRebuilds(this.without(view, change.image, looped), change, { maxTasks: this.opts.maxPlanTasks });
    const claims = plan.entries.flatMap((e) => (e.direct ? e.direct.changes.map((c): KnownDigest => ({ task: e.task, image: change.image, platform: c.platform, basePlatform: c.basePlatform, digest: c.newDigest })) : []));
    const won = new Set((await this.graph.claim(claims)).map((c) => c.task));
    const lost = new Set(plan.entries.filter((e) => e.direct && !won.has(e.task)).map((e) => e.task));
    if (lost.size) plan = planRebuilds(this.without(view, change.image, new Set([...looped, ...lost])), change, { maxTasks: this.opts.maxPlanTasks });
    for (const task of looped) if (view.dependents(change.image).includes(task)) plan.skipped.push({ task, reason: `its own rebuild pushed ${change.image} (a cycle)` });

    const outcome = await this.locked((waves) => this.writeWave(waves, plan, change, source, upstream));
    if (outcome.wave) {
      this.log.info({ wave: outcome.wave.id, image: change.image, source, tasks: outcome.wave.total, joined: outcome.joined.length }, 'base image changed: rebuild wave planned');
      this.opts.planned?.(outcome.wave);
    }
    // Every rebuild is queued once the wave is written; starting the first runs (each asks git for its
    // commit) goes on after the answer.
    this.kick();
    return outcome;
  }

  private without(view: GraphView, image: string, tasks: Set<string>): GraphView {
    if (tasks.size === 0) return view;
    return { ...view, dependents: (i) => (i === image ? view.dependents(i).filter((t) => !tasks.has(t)) : view.dependents(i)) };
  }

  private async writeWave(waves: WaveRecords, plan: Plan, change: ImageChange, source: WaveSource, upstream: RebuildCause[]): Promise<ChangeOutcome> {
    const pointers = await waves.wavesOf(plan.entries.map((e) => e.task));
    const waiting = plan.entries.filter((e) => pointers.has(e.task));
    const existing = await waves.entriesAt(waiting.map((e) => ({ wave: pointers.get(e.task)!, task: e.task })));
    const joined: string[] = [];
    const updated = new Map<string, WaveEntry[]>();
    for (const [i, e] of waiting.entries()) {
      const entry = existing[i];
      // Not started yet: its build will pull the newest base anyway, so the change joins that entry.
      if (entry && (entry.state === 'held' || entry.state === 'ready')) {
        if (e.direct) entry.causes.push(causeChain(upstream, change.image, e));
        const wave = pointers.get(e.task)!;
        const list = updated.get(wave) ?? [];
        list.push(entry);
        updated.set(wave, list);
        joined.push(e.task);
      }
    }
    for (const [wave, entries] of updated) await waves.putEntries(wave, entries);
    const entries = toEntries(plan, new Set(joined), upstream, change.image);
    if (entries.length === 0) return { plan, joined };
    const wave: Wave = {
      id: await waves.nextId(),
      image: change.image,
      platforms: change.platforms,
      source,
      createdAt: new Date().toISOString(),
      total: entries.length,
      cycles: plan.cycles,
      skipped: plan.skipped.slice(0, MAX_SKIPPED_KEPT),
    };
    await waves.create(wave, entries);
    return { plan, wave, joined };
  }

  /** Starts dispatching in the background; a failure is logged, and the periodic recovery tries again. */
  kick(): void {
    this.dispatch().catch((err: unknown) => this.log.error({ err }, 'base-image rebuild dispatch failed'));
  }

  /** Starts ready rebuilds while the cap allows. */
  async dispatch(): Promise<void> {
    for (;;) {
      const refs = await this.locked(async (waves) => {
        const taken = await waves.popReady(Math.min(START_BATCH, this.opts.concurrency - (await waves.activeCount())));
        for (const ref of taken) await waves.addActive(waves.placeholder(ref));
        return taken;
      });
      if (refs.length === 0) return;
      await Promise.all(refs.map((ref) => this.start(ref)));
    }
  }

  private async start(ref: ReadyRef): Promise<void> {
    const entry = await this.waves.entry(ref.wave, ref.task);
    if (!entry || entry.state !== 'ready') {
      await this.waves.removeActive(this.waves.placeholder(ref));
      return;
    }
    const chain = entry.causes[0] ?? [];
    const last = chain[chain.length - 1];
    const trigger: Trigger = {
      type: 'base-image',
      rebuild: ref.wave,
      causes: chain,
      ...(last ? { image: last.image, newDigest: last.newDigest, ...(last.oldDigest ? { oldDigest: last.oldDigest } : {}) } : {}),
    };
    const delays = this.opts.startRetryDelaysMs ?? START_RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const earlier = await this.opts.rebuildRunOf?.(ref.task, ref.wave);
        const run = earlier ?? (await this.startRun(ref.task, trigger));
        await this.locked((waves) => waves.dispatched(ref, run.id, entry));
        this.log.info({ wave: ref.wave, task: ref.task, runId: run.id }, earlier ? 'base-image rebuild linked to the run a lost dispatch created' : 'base-image rebuild queued');
        return;
      } catch (err) {
        const delay = delays[attempt];
        if (delay !== undefined && isPassingFailure(err)) {
          this.log.warn({ wave: ref.wave, task: ref.task, err, attempt: attempt + 1, retryInMs: delay }, 'base-image rebuild could not start; trying again');
          await sleep(delay);
          // Still this dispatch's to start: the recovery sweep takes a placeholder older than the lost-dispatch
          // time for lost and hands its entry to another dispatch. Renewed, it is not taken while this one waits.
          if (!(await this.locked((waves) => waves.renewActive(waves.placeholder(ref))))) return;
          continue;
        }
        this.log.warn({ wave: ref.wave, task: ref.task, err }, 'base-image rebuild could not start');
        await this.locked(async (waves) => {
          await waves.removeActive(waves.placeholder(ref));
          await this.settle(waves, ref, { state: 'failed', reason: `could not start: ${(err as Error).message}` });
        });
        return;
      }
    }
  }

  /**
   * After any run ends: the graph learns what a successful task run built on and pushed, the run's wave
   * entry (if a rebuild) is settled and its children move on, and images it pushed count as changed.
   */
  async runFinished(run: Run): Promise<void> {
    if (run.task && run.status === 'succeeded') await this.graph.record(nodeFromRun(run));
    else if (run.task && run.trigger.type === 'base-image') await this.graph.resetKnown(run.task);
    const ref = await this.waves.runRef(run.id);
    let chain: RebuildCause[] = [];
    if (ref) {
      const entry = await this.waves.entry(ref.wave, ref.task);
      chain = entry?.causes[0] ?? [];
      await this.locked(async (waves) => {
        // Read again under the lock: another API instance may have settled it meanwhile.
        if (!(await waves.runRef(run.id))) return;
        await this.settle(waves, ref, run.status === 'succeeded' ? { state: 'succeeded', run } : { state: 'failed', reason: `run ${run.id} ${run.status}${run.error ? `: ${run.error.split('\n')[0]}` : ''}` });
        await waves.removeActive(run.id);
        await waves.unlinkRun(run.id, ref.task);
      });
    }
    if (run.task && run.status === 'succeeded') {
      for (const [image, platforms] of pushedPlatforms(run)) {
        const link: RebuildCause = { image, newDigest: Object.values(platforms)[0]!, task: run.task, runId: run.id };
        await this.changed({ image, platforms }, 'build', [...chain, link]);
      }
    }
    await this.dispatch();
  }

  /** Settles an entry and moves its children on; a child with no rebuilt parent and no change of its own is skipped. */
  private async settle(waves: WaveRecords, ref: ReadyRef, result: { state: 'succeeded'; run: Run } | { state: 'failed' | 'skipped'; reason: string }): Promise<void> {
    const entry = await waves.entry(ref.wave, ref.task);
    if (!entry || isSettled(entry.state)) return;
    const settled: WaveEntry = { ...entry, state: result.state, ...('reason' in result ? { reason: result.reason } : {}) };
    await waves.putEntries(ref.wave, [settled]);
    await waves.releaseTask(ref.task, ref.wave);
    const pushed = result.state === 'succeeded' ? pushedPlatforms(result.run) : new Map<string, Record<string, string>>();
    const rebuilt = result.state === 'succeeded' ? [...pushed].map(([image, p]): RebuildCause => ({ image, newDigest: Object.values(p)[0]!, task: ref.task, runId: result.run.id })) : undefined;
    for (const childTask of entry.children) {
      const held = await waves.entry(ref.wave, childTask);
      if (!held || held.state !== 'held') continue;
      if (rebuilt) await this.claimForChild(childTask, pushed);
      const { child, next } = afterParentSettled(held, entry, rebuilt);
      await waves.putEntries(ref.wave, [child]);
      if (next === 'ready') await waves.markReady(ref.wave, [childTask]);
      if (next === 'skip') await this.settle(waves, { wave: ref.wave, task: childTask }, { state: 'skipped', reason: 'no image it builds on was rebuilt' });
    }
  }

  /** The child's known digests of what the parent pushed, so a notification of the same push plans nothing more. */
  private async claimForChild(task: string, pushed: Map<string, Record<string, string>>): Promise<void> {
    const node = await this.graph.node(task);
    const claims = (node?.bases ?? []).flatMap((b) =>
      b.uses.flatMap((u): KnownDigest[] => {
        const digest = pushed.get(b.image)?.[u.basePlatform];
        return digest ? [{ task, image: b.image, platform: u.platform, basePlatform: u.basePlatform, digest }] : [];
      }),
    );
    await this.graph.claim(claims);
  }

  /**
   * Repairs what no event reports, then dispatches what is ready; run periodically. A dispatch lost with its
   * API instance (taken from the ready set, no run ever linked) is put back. A rebuild run that ended before
   * its link to the wave was written (its finish was handled while there was nothing to settle) is settled.
   * Both concern only the few active rebuilds the cap allows.
   */
  async recoverDispatches(getRun: (id: string) => Promise<Run | undefined>, now = Date.now()): Promise<void> {
    for (const { member, since } of await this.waves.activeMembers()) {
      if (!member.startsWith('dispatching')) {
        const run = await getRun(member);
        if (!run) await this.waves.removeActive(member);
        else if (isTerminal(run.status)) await this.runFinished(run);
        continue;
      }
      if (now - since < (this.opts.lostDispatchMs ?? LOST_DISPATCH_MS)) continue;
      const [, wave, task] = member.split('\t') as [string, string, string];
      await this.locked(async (waves) => {
        await waves.removeActive(member);
        const entry = await waves.entry(wave, task);
        if (entry?.state === 'ready') await waves.markReady(wave, [task]);
      });
    }
    await this.dispatch();
  }
}

/** A failure that may pass with time: the git host (or another service) unreachable or too slow (503). */
function isPassingFailure(err: unknown): boolean {
  return (isSlipwayError(err) && err.status === 503) || (err instanceof Error && (err as { retryable?: unknown }).retryable === true);
}
