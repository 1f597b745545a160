// /v1/registries: log in to a registry, list the logins, log out (as the operation table says, admin only).
import express, { Router, type RequestHandler } from 'express';
import type { RegistryList } from '../../contract/registries.js';
import { loginRegistry, logoutRegistry, type LoginRules } from '../../credentials/logins.js';
import type { RegistryCredentialStore } from '../../credentials/store.js';
import { BadInputError, SlipwayError } from '../../errors.js';

/**
 * express.json, except that a body that is not JSON is refused without the parser's message: that message
 * quotes the start of the body, which here holds a password.
 */
function jsonWithoutEcho(): RequestHandler {
  const parse = express.json({ limit: '64kb' });
  return (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      if ((err as { type?: string } | undefined)?.type === 'entity.parse.failed') return next(new BadInputError('request body is not valid JSON', 'invalid_json'));
      next(err);
    });
}

export function registryRoutes(store: RegistryCredentialStore, rules: LoginRules): Router {
  const router = Router();

  router.post('/v1/registries', jsonWithoutEcho(), async (req, res) => {
    if (!req.is('application/json')) throw new SlipwayError(415, 'unsupported_media_type', 'send the login as JSON (Content-Type: application/json)');
    res.status(201).json(await loginRegistry(store, req.body ?? {}, rules));
  });

  router.get('/v1/registries', async (_req, res) => {
    res.json({ registries: await store.list() } satisfies RegistryList);
  });

  router.delete('/v1/registries/:host', async (req, res) => {
    await logoutRegistry(store, req.params.host, req.query);
    res.status(204).end();
  });

  return router;
}
