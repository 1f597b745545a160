// /v1/graph and /v1/rebuilds: the base-image dependency graph, the impact preview of a change, a change
// reported by hand, and the rebuild waves with the state of every entry.
import express, { Router } from 'express';
import { WAVE_ID, type Graph, type NotifyAnswer, type Plan, type WaveDetail, type WaveList } from '../../contract/graph.js';
import { DependentsQuery, NotifyRequest, RebuildListQuery } from '../../contract/requests.js';
import { BadInputError, NotFoundError, SlipwayError } from '../../errors.js';
import type { ImageChange } from '../../graph/model.js';
import type { BaseImageRebuilds } from '../../graph/rebuilds.js';
import type { GraphStore } from '../../graph/store.js';
import type { WaveStore } from '../../graph/wave-store.js';
import { formatReference, parseImageReference, withDefaultTag } from '../../registry/reference.js';
import { isRegistryError } from '../../registry/errors.js';

export interface GraphRouteDeps {
  graph: GraphStore;
  waves: WaveStore;
  rebuilds: BaseImageRebuilds;
  /** What the image's tag names now, per platform, asked of its registry. */
  resolve: (image: string) => Promise<ImageChange>;
}

/** A base image as FROM names it: no registry means Docker Hub, no tag means latest. */
export function normaliseBaseImage(image: string): string {
  const ref = withDefaultTag(parseImageReference(image.trim()));
  if (ref.digest) throw new BadInputError(`image ${JSON.stringify(image.slice(0, 200))} names a digest, which never changes; give a tag, e.g. debian:12`, 'invalid_reference');
  return formatReference(ref);
}

export function graphRoutes(deps: GraphRouteDeps): Router {
  const router = Router();

  router.get('/v1/graph', async (_req, res) => {
    const tasks = await deps.graph.nodes(await deps.graph.tasks());
    const images = new Map<string, Graph['images'][number]['dependents']>();
    for (const node of tasks) {
      for (const b of node.bases) {
        const list = images.get(b.image) ?? [];
        list.push({ task: node.task, kind: b.kind });
        images.set(b.image, list);
      }
    }
    res.json({
      images: [...images].sort(([a], [b]) => a.localeCompare(b)).map(([image, dependents]) => ({ image, dependents })),
      tasks,
    } satisfies Graph);
  });

  router.get('/v1/graph/dependents', async (req, res) => {
    const query = DependentsQuery.parse(req.query);
    const transitive = query.transitive === '1' || query.transitive === 'true';
    res.json((await deps.rebuilds.preview(normaliseBaseImage(query.image), transitive)) satisfies Plan);
  });

  router.post('/v1/graph/notify', express.json({ limit: '16kb' }), async (req, res) => {
    if (!req.is('application/json')) throw new SlipwayError(415, 'unsupported_media_type', 'send {"image": "<name:tag>"} as JSON (Content-Type: application/json)');
    const { image } = NotifyRequest.parse(req.body ?? {});
    const change = await deps.resolve(normaliseBaseImage(image)).catch((err: unknown) => Promise.reject(asGatewayError(err)));
    const outcome = await deps.rebuilds.changed(change, 'manual');
    res.status(202).json({ image: change.image, platforms: change.platforms, wave: outcome.wave, joined: outcome.joined, skipped: outcome.plan.skipped, cycles: outcome.plan.cycles, ...(outcome.ignored ? { ignored: outcome.ignored } : {}) } satisfies NotifyAnswer);
  });

  router.get('/v1/rebuilds', async (req, res) => {
    const { top } = RebuildListQuery.parse(req.query);
    res.json({ rebuilds: await deps.waves.list(top) } satisfies WaveList);
  });

  router.get('/v1/rebuilds/:id', async (req, res) => {
    const wave = WAVE_ID.test(req.params.id) ? await deps.waves.get(req.params.id) : undefined;
    if (!wave) throw new NotFoundError(`no rebuild wave ${JSON.stringify(req.params.id.slice(0, 40))}`, 'rebuild_not_found');
    const entries = (await deps.waves.entries(wave.id)).sort((a, b) => a.level - b.level || a.task.localeCompare(b.task));
    res.json({ ...wave, entries } satisfies WaveDetail);
  });

  return router;
}

/**
 * A registry's answer passed on as the registry's, not Slipway's: its 401 or 403 answered as such would read
 * as a bad Slipway token, its 429 as Slipway's own rate limit, its 500 as Slipway failing. Those become 502
 * (the server behind us failed us) and 503, keeping the registry's code; a missing image stays 404 and a
 * registry out of reach 503.
 */
export function asGatewayError(err: unknown): unknown {
  // Slipway's own host policy refusing the registry is no answer of the registry's: it stays a 403.
  if (!isRegistryError(err) || err.code === 'registry_host_refused') return err;
  const status = err.status === 401 || err.status === 403 ? 502 : err.status === 429 ? 503 : err.status >= 500 && err.status !== 503 ? 502 : undefined;
  if (status === undefined) return err;
  const hint = err.status === 401 || err.status === 403 ? `; Slipway's login for ${err.registry} is missing or refused (slipway registry login ${err.registry})` : '';
  return new SlipwayError(status, err.code, `${err.message}${hint}`);
}
