// /v1/runs: submit, read, list and cancel runs. HTTP in and out only; the rules live in RunService, the
// shapes in the contract (contract/runs.ts).
import { Router } from 'express';
import { RunListQuery, RunRequest } from '../../contract/requests.js';
import type { Run, RunList } from '../../contract/runs.js';
import type { RunService } from '../../runs/service.js';

export function runRoutes(runs: RunService, announceCancel: (id: string) => Promise<void>): Router {
  const router = Router();

  router.post('/v1/runs', async (req, res) => {
    const run = await runs.submit(RunRequest.parse(req.body ?? {}));
    res.status(202).location(`/v1/runs/${run.id}`).json(run satisfies Run);
  });

  router.get('/v1/runs', async (req, res) => {
    const query = RunListQuery.parse(req.query);
    res.json({ runs: await runs.store.list(query) } satisfies RunList);
  });

  router.get('/v1/runs/:id', async (req, res) => {
    res.json((await runs.get(req.params.id)) satisfies Run);
  });

  router.post('/v1/runs/:id/cancel', async (req, res) => {
    res.status(202).json((await runs.cancel(req.params.id, announceCancel)) satisfies Run);
  });

  return router;
}
