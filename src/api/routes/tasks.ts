// /v1/tasks: create, read, update, delete tasks, start a run of one, list its runs. The bodies are checked
// by TaskService against the contract's TaskSpec (contract/tasks.ts).
import { Router, type Response } from 'express';
import { RunListQuery } from '../../contract/requests.js';
import type { Run, RunList } from '../../contract/runs.js';
import type { Task, TaskList } from '../../contract/tasks.js';
import { BadInputError } from '../../errors.js';
import type { TaskService } from '../../tasks/service.js';
import { checkTask, requesterOf } from '../../auth/scopes.js';
import { principalOf } from '../authenticate.js';

export function taskRoutes(tasks: TaskService, defaultRegistry: string): Router {
  const router = Router();
  /** The token's task scope applied to the task named; its repository scope is applied by TaskService to what the task pushes. */
  const requester = (res: Response, task: string) => {
    checkTask(principalOf(res), task);
    return requesterOf(principalOf(res), defaultRegistry);
  };

  router.post('/v1/tasks', async (req, res) => {
    const { name, ...spec } = (req.body ?? {}) as { name?: unknown };
    if (typeof name !== 'string') throw new BadInputError('name: a task needs a name', 'invalid_body');
    const task = await tasks.create(name, spec, requester(res, name));
    res.status(201).location(`/v1/tasks/${task.name}`).json(task satisfies Task);
  });

  router.get('/v1/tasks', async (_req, res) => {
    res.json({ tasks: await tasks.store.list() } satisfies TaskList);
  });

  router.get('/v1/tasks/:name', async (req, res) => {
    res.json((await tasks.get(req.params.name)) satisfies Task);
  });

  router.patch('/v1/tasks/:name', async (req, res) => {
    res.json((await tasks.update(req.params.name, req.body ?? {}, requester(res, req.params.name))) satisfies Task);
  });

  router.delete('/v1/tasks/:name', async (req, res) => {
    requester(res, req.params.name);
    await tasks.delete(req.params.name);
    res.status(204).end();
  });

  router.post('/v1/tasks/:name/runs', async (req, res) => {
    const run = await tasks.run(req.params.name, { trigger: { type: 'manual' } }, requester(res, req.params.name));
    res.status(202).location(`/v1/runs/${run.id}`).json(run satisfies Run);
  });

  router.get('/v1/tasks/:name/runs', async (req, res) => {
    const task = await tasks.get(req.params.name);
    const query = RunListQuery.parse(req.query);
    res.json({ runs: await tasks.runs.store.list({ ...query, task: task.name }) } satisfies RunList);
  });

  return router;
}
