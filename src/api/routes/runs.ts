// /v1/runs: submit, read, list and cancel runs. HTTP in and out only; the rules live in RunService, the
// shapes in the contract (contract/runs.ts).
import { Router } from 'express';
import { RunListQuery, RunRequest } from '../../contract/requests.js';
import type { Run, RunList } from '../../contract/runs.js';
import type { RunService } from '../../runs/service.js';
import { checkCancel } from '../../auth/ownership.js';
import { requesterOf } from '../../auth/scopes.js';
import type { ContextOwners } from '../../contexts/owners.js';
import { principalOf } from '../authenticate.js';

export function runRoutes(runs: RunService, announceCancel: (id: string) => Promise<void>, access: { owners: ContextOwners; defaultRegistry: string }): Router {
  const router = Router();

  router.post('/v1/runs', async (req, res) => {
    const body = RunRequest.parse(req.body ?? {});
    await access.owners.check(body.context, principalOf(res).name);
    const run = await runs.submit(body, requesterOf(principalOf(res), access.defaultRegistry));
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
    checkCancel(await runs.get(req.params.id), principalOf(res));
    res.status(202).json((await runs.cancel(req.params.id, announceCancel)) satisfies Run);
  });

  return router;
}
