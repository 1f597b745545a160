// POST /v1/contexts (upload a gzipped tar build context) and HEAD /v1/contexts/:digest.
import { Router } from 'express';
import type { StoredContext } from '../../contract/contexts.js';
import { TooLargeError } from '../../errors.js';
import type { ContextOwners } from '../../contexts/owners.js';
import type { ContextStore } from '../../contexts/context-store.js';
import { principalOf } from '../authenticate.js';

export function contextRoutes(store: ContextStore, maxBytes: number, owners: ContextOwners): Router {
  const router = Router();

  router.head('/v1/contexts/:digest', async (req, res) => {
    // Another token's upload is answered as absent: the CLI then uploads its own copy.
    const found = (await owners.owns(req.params.digest, principalOf(res).name)) && (await store.has(req.params.digest));
    // A client that finds it will submit a run of it next: keep it from the sweep for another TTL.
    if (found) await store.touch(req.params.digest);
    res.status(found ? 200 : 404).end();
  });

  router.post('/v1/contexts', async (req, res) => {
    // An answer before the whole body is read: close the connection rather than read the rest.
    res.on('finish', () => {
      if (!req.readableEnded) req.destroy();
    });
    res.setHeader('Connection', 'close');
    const length = Number(req.headers['content-length'] ?? NaN);
    if (length > maxBytes) {
      throw new TooLargeError(`build context is ${length} bytes, over the limit of ${maxBytes}; shrink it with a .dockerignore`, 'context_too_large');
    }
    const digestHeader = req.headers['x-slipway-digest'];
    const stored = await store.put(req, typeof digestHeader === 'string' ? digestHeader : undefined);
    await owners.add(stored.digest, principalOf(res).name);
    res.removeHeader('Connection');
    res
      .status(stored.created ? 201 : 200)
      .location(`/v1/contexts/${stored.digest}`)
      .json({ digest: stored.digest, size: stored.size } satisfies StoredContext);
  });

  return router;
}
