// GET /v1/whoami: the token a request carries, so a client (the dashboard) can say who is signed in and offer
// only what the role allows. The API still decides every request itself.
import { Router } from 'express';
import type { WhoAmI } from '../../contract/tokens.js';
import { principalOf } from '../authenticate.js';

export function whoAmIRoutes(): Router {
  return Router().get('/v1/whoami', (_req, res) => {
    const { name, role, repositories, tasks } = principalOf(res);
    res.json({ name, role, repositories, tasks } satisfies WhoAmI);
  });
}
