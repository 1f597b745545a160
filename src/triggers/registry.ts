// POST /v1/webhooks/registry: notifications from a CNCF distribution registry, authenticated by the bearer
// token its endpoint configuration sends. The answer comes at once; each tag push is then resolved to its
// platform manifests and handed to the base-image rebuilds (the registry retries only on failure, and a
// second delivery of the same push plans nothing: known digests are compared and set atomically).
import express, { Router, type Request, type Response } from 'express';
import { describeZodError, sendError } from '../api/errors.js';
import { BadInputError } from '../errors.js';
import { NotificationEnvelope, tagPushes, type TagPush } from '../graph/notifications.js';
import type { Logger } from '../log.js';
import { bearerToken, tokenMatches } from './bearer.js';
import { readBody, refuseDeclaredOversize } from './body.js';
import { answerFailure } from './dispatch.js';

export const REGISTRY_WEBHOOK_PATH = '/v1/webhooks/registry';
const MAX_BODY_BYTES = 1024 * 1024;

export interface RegistryWebhookOptions {
  tokens: () => string[];
  /** Handles one tag push; called after the answer, errors are logged. */
  pushed: (push: TagPush) => Promise<void>;
  log: Logger;
}

export function registryWebhookRouter(opts: RegistryWebhookOptions): Router {
  const json = express.json({ type: () => true, limit: MAX_BODY_BYTES });
  const router = Router();

  async function receive(req: Request, res: Response): Promise<void> {
    refuseDeclaredOversize(req, res, MAX_BODY_BYTES);
    const token = bearerToken(req.headers.authorization);
    if (!token || !tokenMatches(token, opts.tokens())) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="slipway"');
      return sendError(res, 401, 'unauthorized', 'send Authorization: Bearer <token> with the token in SLIPWAY_REGISTRY_NOTIFY_TOKEN (the registry config: notifications.endpoints[].headers)');
    }
    const parsed = NotificationEnvelope.safeParse(await readBody(json, req, res));
    if (!parsed.success) throw new BadInputError(`not a registry notification envelope: ${describeZodError(parsed.error)}`, 'invalid_body');
    const { pushes, ignored } = tagPushes(parsed.data);
    res.status(202).json({ accepted: pushes.map((p) => ({ image: p.image, digest: p.digest })), ignored: ignored.slice(0, 100) });
    for (const push of pushes) {
      opts.pushed(push).catch((err: unknown) => opts.log.error({ err, image: push.image, digest: push.digest }, 'registry notification not handled'));
    }
  }

  router.post(REGISTRY_WEBHOOK_PATH, async (req, res) => {
    try {
      await receive(req, res);
    } catch (err) {
      answerFailure(res, err, opts.log, { path: REGISTRY_WEBHOOK_PATH });
    }
  });
  return router;
}
