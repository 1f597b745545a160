// /v1/tasks: create, read, update, delete tasks, start a run of one, list its runs.
import { Router } from 'express';
import * as z from 'zod';
import { BadInputError } from '../../errors.js';
import { RUN_STATUSES } from '../../runs/model.js';
import type { TaskService } from '../../tasks/service.js';

const RunsQuery = z.object({ status: z.enum(RUN_STATUSES).optional(), top: z.coerce.number().int().min(1).max(1000).default(20) }).strict();

export function taskRoutes(tasks: TaskService): Router {
  const router = Router();

  router.post('/v1/tasks', async (req, res) => {
    const { name, ...spec } = (req.body ?? {}) as { name?: unknown };
    if (typeof name !== 'string') throw new BadInputError('name: a task needs a name', 'invalid_body');
    const task = await tasks.create(name, spec);
    res.status(201).location(`/v1/tasks/${task.name}`).json(task);
  });

  router.get('/v1/tasks', async (_req, res) => {
    res.json({ tasks: await tasks.store.list() });
  });

  router.get('/v1/tasks/:name', async (req, res) => {
    res.json(await tasks.get(req.params.name));
  });

  router.patch('/v1/tasks/:name', async (req, res) => {
    res.json(await tasks.update(req.params.name, req.body ?? {}));
  });

  router.delete('/v1/tasks/:name', async (req, res) => {
    await tasks.delete(req.params.name);
    res.status(204).end();
  });

  router.post('/v1/tasks/:name/runs', async (req, res) => {
    const run = await tasks.run(req.params.name, { trigger: { type: 'manual' } });
    res.status(202).location(`/v1/runs/${run.id}`).json(run);
  });

  router.get('/v1/tasks/:name/runs', async (req, res) => {
    const task = await tasks.get(req.params.name);
    const query = RunsQuery.parse(req.query);
    res.json({ runs: await tasks.runs.store.list({ ...query, task: task.name }) });
  });

  return router;
}
