// /v1/tokens: create, list, change and revoke API tokens (admin only, as the operation table says).
import express, { Router } from 'express';
import type { TokenCreated, TokenInfo, TokenList } from '../../contract/tokens.js';
import type { TokenStore } from '../../auth/store.js';
import { issueToken, revokeToken, updateToken } from '../../auth/tokens.js';
import { SlipwayError } from '../../errors.js';

export function tokenRoutes(tokens: TokenStore): Router {
  const router = Router();

  router.post('/v1/tokens', express.json({ limit: '64kb' }), async (req, res) => {
    if (!req.is('application/json')) throw new SlipwayError(415, 'unsupported_media_type', 'send the token request as JSON (Content-Type: application/json)');
    const created = await issueToken(tokens, req.body ?? {});
    res.status(201).json(created satisfies TokenCreated);
  });

  router.get('/v1/tokens', async (_req, res) => {
    res.json({ tokens: await tokens.list() } satisfies TokenList);
  });

  router.patch('/v1/tokens/:name', express.json({ limit: '64kb' }), async (req, res) => {
    if (!req.is('application/json')) throw new SlipwayError(415, 'unsupported_media_type', 'send the change as JSON (Content-Type: application/json)');
    res.json((await updateToken(tokens, req.params.name, req.body ?? {})) satisfies TokenInfo);
  });

  router.delete('/v1/tokens/:name', async (req, res) => {
    await revokeToken(tokens, req.params.name);
    res.status(204).end();
  });

  return router;
}
