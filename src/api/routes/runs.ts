// /v1/runs: submit, read, list and cancel runs. HTTP in and out only; the rules live in RunService.
import { Router } from 'express';
import * as z from 'zod';
import { RUN_STATUSES } from '../../runs/model.js';
import { RunRequest } from '../../runs/request.js';
import type { RunService } from '../../runs/service.js';

const ListQuery = z
  .object({
    status: z.enum(RUN_STATUSES).optional(),
    top: z.coerce.number().int().min(1).max(1000).default(20),
  })
  .strict();

export function runRoutes(runs: RunService, announceCancel: (id: string) => Promise<void>): Router {
  const router = Router();

  router.post('/v1/runs', async (req, res) => {
    const run = await runs.submit(RunRequest.parse(req.body ?? {}));
    res.status(202).location(`/v1/runs/${run.id}`).json(run);
  });

  router.get('/v1/runs', async (req, res) => {
    const query = ListQuery.parse(req.query);
    res.json({ runs: await runs.store.list(query) });
  });

  router.get('/v1/runs/:id', async (req, res) => {
    res.json(await runs.get(req.params.id));
  });

  router.post('/v1/runs/:id/cancel', async (req, res) => {
    res.status(202).json(await runs.cancel(req.params.id, announceCancel));
  });

  return router;
}
