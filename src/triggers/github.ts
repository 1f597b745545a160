// POST /v1/webhooks/github: verifies a GitHub delivery on its raw bytes before reading it as JSON,
// maps push and pull_request events to trigger events and hands them to the injected handler.
import express, { Router, type Request, type Response } from 'express';
import { sendError } from '../api/errors.js';
import { BadInputError } from '../errors.js';
import { createLogger } from '../log.js';
import { answerFailure, DEFAULT_TIMEOUT_MS, dispatchTrigger, type TriggerLog } from './dispatch.js';
import type { TriggerHandler, TriggerMapping } from './events.js';
import { readBody, refuseDeclaredOversize } from './body.js';
import { pullRequestEventToTrigger, pushEventToTrigger } from './github-events.js';
import { GitHubPing } from './github-payloads.js';
import { signatureCheck, SIGNATURE_FORMAT } from './github-signature.js';

export const GITHUB_WEBHOOK_PATH = '/v1/webhooks/github';
/** GitHub caps payloads at 25 MB and does not deliver larger ones. */
export const GITHUB_MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;

export interface GitHubWebhookOptions {
  /** The current secret first, then any being rotated out. */
  secrets: string[];
  handle: TriggerHandler;
  seen: (deliveryId: string) => Promise<boolean>;
  timeoutMs?: number;
  maxBodyBytes?: number;
  log?: TriggerLog;
}

const EVENT_NAME = /^[a-z_]{1,64}$/;
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// A Map, not an object literal: an event named "constructor" must not find Object's.
const MAPPERS = new Map<string, (payload: unknown, deliveryId: string) => TriggerMapping>([
  ['push', pushEventToTrigger],
  ['pull_request', pullRequestEventToTrigger],
]);
const JSON_TYPE = /^\s*application\/json\s*(?:;|$)/i;
// ignoreBOM keeps a BOM in the text, so the text signed is exactly the bytes received.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

export function githubWebhookRouter(opts: GitHubWebhookOptions): Router {
  const verify = signatureCheck(opts.secrets);
  const limit = opts.maxBodyBytes ?? GITHUB_MAX_PAYLOAD_BYTES;
  const rawBody = express.raw({ type: () => true, limit, inflate: false });
  const log = opts.log ?? createLogger('triggers');
  const dispatch = { handle: opts.handle, seen: opts.seen, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, log };
  const router = Router();

  async function receive(req: Request, res: Response): Promise<void> {
    refuseDeclaredOversize(req, res, limit);
    const signature = header(req, 'x-hub-signature-256');
    if (!signature || !SIGNATURE_FORMAT.test(signature)) {
      return sendError(res, 401, 'signature_required', 'send X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body with the webhook secret>');
    }
    const event = header(req, 'x-github-event');
    const deliveryId = header(req, 'x-github-delivery');
    if (!event || !EVENT_NAME.test(event) || !deliveryId || !DELIVERY_ID.test(deliveryId)) {
      return sendError(res, 400, 'missing_headers', 'a GitHub delivery carries X-GitHub-Event and X-GitHub-Delivery');
    }
    if (!JSON_TYPE.test(header(req, 'content-type') ?? '')) {
      return sendError(res, 415, 'unsupported_media_type', 'set the webhook content type to application/json');
    }
    const body = await readBody(rawBody, req, res);
    // A JSON parser mounted ahead of this router would have consumed the bytes the signature covers.
    if (body !== undefined && !Buffer.isBuffer(body)) throw new Error('mount the GitHub webhook router before any body parser');
    let text: string;
    try {
      text = utf8.decode(body ?? Buffer.alloc(0));
    } catch {
      return sendError(res, 400, 'invalid_encoding', 'the webhook body is not UTF-8');
    }
    if (!(await verify(text, signature))) {
      return sendError(res, 401, 'bad_signature', 'X-Hub-Signature-256 does not match the body for any configured secret');
    }
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      return sendError(res, 400, 'invalid_json', 'the webhook body is not valid JSON');
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new BadInputError('the webhook body must be a JSON object', 'invalid_payload');
    }
    if (event === 'ping') {
      res.status(200).json({ status: 'pong', zen: GitHubPing.safeParse(payload).data?.zen, deliveryId });
      return;
    }
    const map = MAPPERS.get(event);
    if (!map) {
      res.status(200).json({ status: 'ignored', reason: `"${event}" events do not trigger builds; send push or pull_request`, deliveryId });
      return;
    }
    const mapped = map(payload, deliveryId);
    if ('ignored' in mapped) {
      res.status(200).json({ status: 'ignored', reason: mapped.ignored, deliveryId });
      return;
    }
    await dispatchTrigger(mapped.event, dispatch, res);
  }

  router.post(GITHUB_WEBHOOK_PATH, async (req, res) => {
    try {
      await receive(req, res);
    } catch (err) {
      answerFailure(res, err, log, { path: GITHUB_WEBHOOK_PATH });
    }
  });
  return router;
}
