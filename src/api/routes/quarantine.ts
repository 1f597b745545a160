// /v1/quarantine: images waiting for a scanner's verdict, and the verdicts (scanner or admin, as the
// operation table says). A digest names the image: what the scanner judged is exactly what the tag will name.
import express, { Router, type Request } from 'express';
import { DIGEST, QuarantineDecision, QuarantineListQuery, type QuarantineApproval, type QuarantinedImage, type QuarantineList } from '../../contract/quarantine.js';
import { BadInputError, NotFoundError, SlipwayError } from '../../errors.js';
import type { QuarantineGate } from '../../quarantine/gate.js';
import { principalOf } from '../authenticate.js';

function digestOf(req: Request): string {
  const digest = String(req.params.digest);
  if (!DIGEST.test(digest)) throw new BadInputError(`${JSON.stringify(digest.slice(0, 80))} is not an image digest (sha256:<64 hex>)`, 'invalid_digest');
  return digest;
}

/** A verdict's body is optional; when one is sent it must be JSON. */
function decisionOf(req: Request): QuarantineDecision {
  if (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0' && !req.is('application/json')) {
    throw new SlipwayError(415, 'unsupported_media_type', 'send {"reason": "…"} as JSON (Content-Type: application/json)');
  }
  return QuarantineDecision.parse(req.body ?? {});
}

export function quarantineRoutes(gate: QuarantineGate): Router {
  const router = Router();
  const json = express.json({ limit: '16kb' });

  router.get('/v1/quarantine', async (req, res) => {
    const { state, top } = QuarantineListQuery.parse(req.query);
    res.json({ images: await gate.list({ top, ...(state ? { state } : {}) }) } satisfies QuarantineList);
  });

  router.get('/v1/quarantine/:digest', async (req, res) => {
    const digest = digestOf(req);
    const image = await gate.get(digest);
    if (!image) throw new NotFoundError(`no quarantined image ${digest}`, 'quarantine_not_found');
    res.json(image satisfies QuarantinedImage);
  });

  router.post('/v1/quarantine/:digest/approve', json, async (req, res) => {
    const digest = digestOf(req);
    const { reason } = decisionOf(req);
    res.json((await gate.approve(digest, principalOf(res).name, reason)) satisfies QuarantineApproval);
  });

  router.post('/v1/quarantine/:digest/reject', json, async (req, res) => {
    const digest = digestOf(req);
    const { reason } = decisionOf(req);
    res.json((await gate.reject(digest, principalOf(res).name, reason)) satisfies QuarantinedImage);
  });

  return router;
}
