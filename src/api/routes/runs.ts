// /v1/runs: submit, read, list and cancel runs. HTTP in and out only; the rules live in RunService, the
// shapes in the contract (contract/runs.ts).
import { Router, type Request } from 'express';
import { IDEMPOTENCY_KEY_HEADER, IdempotencyKey } from '../../contract/idempotency.js';
import { RunListQuery, RunRequest } from '../../contract/requests.js';
import { CONTEXT_DIGEST } from '../../contract/contexts.js';
import type { Run, RunList } from '../../contract/runs.js';
import { BadInputError, ConflictError } from '../../errors.js';
import type { IdempotencyKeys } from '../../runs/idempotency.js';
import type { RunService } from '../../runs/service.js';
import { checkCancel } from '../../auth/ownership.js';
import { requesterOf } from '../../auth/scopes.js';
import type { ContextOwners } from '../../contexts/owners.js';
import { principalOf } from '../authenticate.js';

export function runRoutes(
  runs: RunService,
  announceCancel: (id: string) => Promise<void>,
  access: { owners: ContextOwners; defaultRegistry: string },
  idempotency?: IdempotencyKeys,
): Router {
  const router = Router();

  router.post('/v1/runs', async (req, res) => {
    const request = RunRequest.parse(req.body ?? {});
    const principal = principalOf(res);
    // A git context is fetched by the worker under the git host policy; only uploads have owners.
    if (CONTEXT_DIGEST.test(request.context)) await access.owners.check(request.context, principal.name);
    const submit = () => runs.submit(request, requesterOf(principal, access.defaultRegistry));
    const key = idempotencyKey(req);
    if (!key || !idempotency) {
      const run = await submit();
      res.status(202).location(`/v1/runs/${run.id}`).json(run satisfies Run);
      return;
    }
    const hash = idempotency.hash(req.body);
    const earlier = await idempotency.reserve(principal.name, key, hash);
    if (earlier) {
      if (earlier.hash !== hash) throw new ConflictError(`${IDEMPOTENCY_KEY_HEADER} ${key} was used with another request; send a new key for a new run`, 'idempotency_key_reused');
      if (!earlier.runId) throw new ConflictError(`a request with ${IDEMPOTENCY_KEY_HEADER} ${key} is still under way; retry in a moment`, 'idempotency_key_in_use');
      res.status(200).location(`/v1/runs/${earlier.runId}`).json((await runs.get(earlier.runId)) satisfies Run);
      return;
    }
    let run: Run;
    try {
      run = await submit();
    } catch (err) {
      await idempotency.release(principal.name, key);
      throw err;
    }
    await idempotency.complete(principal.name, key, hash, run.id);
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

function idempotencyKey(req: Request): string | undefined {
  const value = req.get(IDEMPOTENCY_KEY_HEADER);
  if (value === undefined) return undefined;
  const parsed = IdempotencyKey.safeParse(value);
  if (!parsed.success) throw new BadInputError(parsed.error.issues[0]?.message ?? 'bad Idempotency-Key', 'invalid_idempotency_key');
  return parsed.data;
}
