// /v1/hooks: outbound webhooks (run notifications): create, list, delete, and a hook's deliveries, each
// redeliverable. Who may call each is in the operation table (admin changes, readers look).
import express, { Router } from 'express';
import { DeliveryListQuery, type HookCreated, type HookDelivery, type HookDeliveryList, type HookList } from '../../contract/hooks.js';
import { SlipwayError } from '../../errors.js';
import type { HookService } from '../../hooks/service.js';

export function hookRoutes(hooks: HookService): Router {
  const router = Router();

  router.post('/v1/hooks', express.json({ limit: '64kb' }), async (req, res) => {
    if (!req.is('application/json')) throw new SlipwayError(415, 'unsupported_media_type', 'send the hook as JSON (Content-Type: application/json)');
    const created = await hooks.create(req.body ?? {});
    res.status(201).location(`/v1/hooks/${encodeURIComponent(created.name)}`).json(created satisfies HookCreated);
  });

  router.get('/v1/hooks', async (_req, res) => {
    res.json({ hooks: await hooks.list() } satisfies HookList);
  });

  router.delete('/v1/hooks/:name', async (req, res) => {
    await hooks.delete(req.params.name);
    res.status(204).end();
  });

  router.get('/v1/hooks/:name/deliveries', async (req, res) => {
    const { top } = DeliveryListQuery.parse(req.query);
    res.json({ deliveries: await hooks.deliveries(req.params.name, top) } satisfies HookDeliveryList);
  });

  router.post('/v1/hooks/:name/deliveries/:id/redeliver', async (req, res) => {
    res.status(202).json((await hooks.redeliver(req.params.name, req.params.id)) satisfies HookDelivery);
  });

  return router;
}
