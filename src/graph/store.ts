// The base-image graph in Redis: per task its node (bases with digests, outputs), an index from each base
// image to the tasks built on it, and per task the digest of each base it is known to be built, or being
// rebuilt, on. Changing a known digest is a compare-and-set, so two detectors reporting the same push
// (a registry notification and a finished rebuild, two API instances) queue one rebuild between them.
import type { Redis } from 'ioredis';
import { SlipwayKeys } from '../store/keys.js';
import { GraphNode, type BaseImagePolicy } from './model.js';
import type { GraphRecords, KnownDigest, PolicyReader } from './records.js';
import type { GraphView } from './plan.js';

// KEYS: known hash. ARGV: field, digest. 1 when the field changed, 0 when it already had the digest.
const CLAIM = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return 0 end redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1`;

export type { KnownDigest, PolicyReader } from './records.js';

/** The Redis adapter of GraphRecords. */
export class GraphStore implements GraphRecords {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  private nodeKey(task: string): string {
    return this.keys.graphNode(task);
  }
  private dependentsKey(image: string): string {
    return this.keys.graphDependents(image);
  }
  private producersKey(image: string): string {
    return this.keys.graphProducers(image);
  }
  private knownKey(task: string): string {
    return this.keys.graphKnown(task);
  }
  private get tasksKey(): string {
    return this.keys.graphTasks;
  }
  private get imagesKey(): string {
    return this.keys.graphImages;
  }

  async node(task: string): Promise<GraphNode | undefined> {
    const raw = await this.redis.get(this.nodeKey(task));
    return raw ? GraphNode.parse(JSON.parse(raw)) : undefined;
  }

  /** Replaces a task's node with what its latest successful run used and pushed. */
  async record(node: GraphNode): Promise<void> {
    const old = await this.node(node.task);
    const images = new Set(node.bases.map((b) => b.image));
    const dropped = (old?.bases ?? []).map((b) => b.image).filter((i) => !images.has(i));
    const multi = this.redis.multi();
    for (const image of dropped) multi.srem(this.dependentsKey(image), node.task);
    for (const image of images) multi.sadd(this.dependentsKey(image), node.task).sadd(this.imagesKey, image);
    for (const image of old?.outputs ?? []) multi.srem(this.producersKey(image), node.task);
    for (const image of node.outputs) multi.sadd(this.producersKey(image), node.task);
    multi.set(this.nodeKey(node.task), JSON.stringify(GraphNode.parse(node))).sadd(this.tasksKey, node.task);
    this.writeKnown(multi, node);
    await multi.exec();
    await this.forgetUnused(dropped);
  }

  /**
   * Puts a task's known digests back to those its last successful run used: after a failed rebuild, the
   * same change (notified again, or found by the next poll) must rebuild it again.
   */
  async resetKnown(task: string): Promise<void> {
    const node = await this.node(task);
    if (!node) return;
    const multi = this.redis.multi();
    this.writeKnown(multi, node);
    await multi.exec();
  }

  private writeKnown(multi: ReturnType<Redis['multi']>, node: GraphNode): void {
    multi.del(this.knownKey(node.task));
    const known = node.bases.flatMap((b) => b.uses.flatMap((u) => (u.digest ? [knownField(b.image, u.platform, u.basePlatform), u.digest] : [])));
    if (known.length) multi.hset(this.knownKey(node.task), ...known);
  }

  async remove(task: string): Promise<void> {
    const old = await this.node(task);
    if (!old) return;
    const multi = this.redis.multi().del(this.nodeKey(task), this.knownKey(task)).srem(this.tasksKey, task);
    for (const b of old.bases) multi.srem(this.dependentsKey(b.image), task);
    for (const image of old.outputs) multi.srem(this.producersKey(image), task);
    await multi.exec();
    await this.forgetUnused(old.bases.map((b) => b.image));
  }

  private async forgetUnused(images: string[]): Promise<void> {
    for (const image of images) if ((await this.redis.scard(this.dependentsKey(image))) === 0) await this.redis.srem(this.imagesKey, image);
  }

  /** Tasks whose last successful run pushed the image. */
  async producers(image: string): Promise<string[]> {
    return (await this.redis.smembers(this.producersKey(image))).sort();
  }

  /** Whether some task builds on the image. */
  async isBaseImage(image: string): Promise<boolean> {
    return (await this.redis.sismember(this.imagesKey, image)) === 1;
  }

  /** Every base image some task builds on. */
  async images(): Promise<string[]> {
    return (await this.redis.smembers(this.imagesKey)).sort();
  }

  async tasks(): Promise<string[]> {
    return (await this.redis.smembers(this.tasksKey)).sort();
  }

  async nodes(tasks: string[]): Promise<GraphNode[]> {
    const out: GraphNode[] = [];
    for (let i = 0; i < tasks.length; i += 1000) {
      const raws = await this.redis.mget(tasks.slice(i, i + 1000).map((t) => this.nodeKey(t)));
      // Written by record() after validation: trusted, and parsed without a schema (10,000 nodes per plan).
      for (const raw of raws) if (raw) out.push(JSON.parse(raw) as GraphNode);
    }
    return out;
  }

  /**
   * Sets each task's known digest for a base and platform; returns those that changed. A digest already
   * known means another detector (or an earlier push of the same image) already acted on it.
   */
  async claim(digests: KnownDigest[]): Promise<KnownDigest[]> {
    if (digests.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const d of digests) pipeline.eval(CLAIM, 1, this.knownKey(d.task), knownField(d.image, d.platform, d.basePlatform), d.digest);
    const replies = (await pipeline.exec()) ?? [];
    return digests.filter((_, i) => replies[i]?.[1] === 1);
  }

  /**
   * The part of the graph a change of `image` can reach, loaded breadth-first with one round trip per
   * level, as a view for the planner.
   */
  async view(image: string, policies: PolicyReader, maxTasks = 100_000): Promise<GraphView> {
    const dependents = new Map<string, string[]>();
    const nodes = new Map<string, GraphNode>();
    const known = new Map<string, Record<string, string>>();
    let images = [image];
    const policy = new Map<string, BaseImagePolicy>();
    for (let depth = 0; images.length && nodes.size < maxTasks; depth++) {
      const read = this.redis.pipeline();
      for (const i of images) read.smembers(this.dependentsKey(i));
      const sets = ((await read.exec()) ?? []).map(([, v]) => (v as string[]).sort());
      images.forEach((i, n) => dependents.set(i, sets[n]!));
      const fresh = [...new Set(sets.flat())].filter((t) => !nodes.has(t));
      for (const node of await this.nodes(fresh)) nodes.set(node.task, node);
      for (const [t, p] of await policies(fresh)) policy.set(t, p);
      if (depth === 0) {
        const k = this.redis.pipeline();
        for (const t of fresh) k.hgetall(this.knownKey(t));
        ((await k.exec()) ?? []).forEach(([, v], n) => known.set(fresh[n]!, v as Record<string, string>));
      }
      const outputs = [...new Set(fresh.flatMap((t) => nodes.get(t)?.outputs ?? []))].filter((i) => !dependents.has(i));
      // Most pushed images are no task's base: one SMISMEMBER spares a round of empty SMEMBERS.
      const isBase = outputs.length ? await this.redis.smismember(this.imagesKey, ...outputs) : [];
      images = outputs.filter((_, n) => isBase[n] === 1);
    }
    return {
      dependents: (i) => dependents.get(i) ?? [],
      node: (t) => nodes.get(t),
      policy: (t) => policy.get(t),
      known: (t, i, p, bp) => known.get(t)?.[knownField(i, p, bp)],
    };
  }
}

/**
 * One field per use: an image pulled for two platforms of one build (the target's, and BUILDPLATFORM's for
 * a build stage) has two digests. A use whose base platform is the target's keeps the older, shorter field.
 */
const knownField = (image: string, platform: string, basePlatform: string) => (basePlatform === platform ? `${image}|${platform}` : `${image}|${platform}|${basePlatform}`);
