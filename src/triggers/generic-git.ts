// POST /v1/webhooks/git: a push from any git server (Gitea, GitLab, a post-receive hook) as
// { repository, ref, sha, deliveryId? } with a bearer token; handed over as a 'git' push event.
import { createHash } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import * as z from 'zod';
import { describeZodError, sendError } from '../api/errors.js';
import { BadInputError } from '../errors.js';
import { createLogger } from '../log.js';
import { bearerToken, tokenMatches } from './bearer.js';
import { readBody, refuseDeclaredOversize } from './body.js';
import { answerFailure, DEFAULT_TIMEOUT_MS, dispatchTrigger, type TriggerLog } from './dispatch.js';
import type { TriggerHandler, TriggerMapping } from './events.js';
import { isCommitSha, isFullRefName, isZeroSha, parseRef } from './refs.js';

export const GENERIC_GIT_WEBHOOK_PATH = '/v1/webhooks/git';
const MAX_BODY_BYTES = 64 * 1024;

export const GenericGitPush = z.object({
  repository: z.string().min(1).max(2048).regex(/^[^\s\x00-\x1f\x7f]+$/, 'must be a clone URL without spaces or control characters'),
  ref: z.string().refine(isFullRefName, 'must be a full git ref such as refs/heads/main or refs/tags/v1'),
  sha: z
    .string()
    .transform((s) => s.toLowerCase())
    .refine(isCommitSha, 'must be a commit id of 40 or 64 hex digits'),
  deliveryId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -').optional(),
});
export type GenericGitPush = z.infer<typeof GenericGitPush>;

export interface GenericGitWebhookOptions {
  /** Tokens for every repository (SLIPWAY_GIT_WEBHOOK_TOKENS); read on every request, so they can be rotated without a restart. */
  tokens: () => Promise<string[]> | string[];
  /** Whether a token is one a task building the repository was given (its webhookToken). */
  authorizePush?: (token: string, repositoryUrls: string[]) => Promise<boolean>;
  handle: TriggerHandler;
  seen: (deliveryId: string) => Promise<boolean>;
  timeoutMs?: number;
  log?: TriggerLog;
}

/** Without an idempotency key, the same repository, ref and commit is the same delivery. */
export function derivedDeliveryId(push: Pick<GenericGitPush, 'repository' | 'ref' | 'sha'>): string {
  return 'git-' + createHash('sha256').update(`${push.repository}\n${push.ref}\n${push.sha}`).digest('hex').slice(0, 40);
}

export function genericPushToTrigger(body: unknown): TriggerMapping {
  const parsed = GenericGitPush.safeParse(body);
  if (!parsed.success) throw new BadInputError(describeZodError(parsed.error), 'invalid_body');
  const push = parsed.data;
  if (isZeroSha(push.sha)) return { ignored: `${push.ref} was deleted; there is nothing to build` };
  return {
    event: {
      source: 'git',
      kind: 'push',
      deliveryId: push.deliveryId ?? derivedDeliveryId(push),
      repositoryUrls: [push.repository],
      ref: push.ref,
      ...parseRef(push.ref),
      sha: push.sha,
    },
  };
}

export function genericGitWebhookRouter(opts: GenericGitWebhookOptions): Router {
  const json = express.json({ type: () => true, limit: MAX_BODY_BYTES, inflate: false });
  const log = opts.log ?? createLogger('triggers');
  const dispatch = { handle: opts.handle, seen: opts.seen, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, log };
  const router = Router();

  async function receive(req: Request, res: Response): Promise<void> {
    refuseDeclaredOversize(req, res, MAX_BODY_BYTES);
    const token = bearerToken(req.headers.authorization);
    const refuse = () => {
      res.setHeader('WWW-Authenticate', 'Bearer realm="slipway"');
      sendError(res, 401, 'unauthorized', "send Authorization: Bearer <token> with the webhook token of a task building this repository, or one configured for every repository");
    };
    if (!token) return refuse();
    const global = tokenMatches(token, await opts.tokens());
    // A repository's own token is checked against the repository the body names, so the body is read
    // first; nothing of it is acted on, or answered (not even that it is not JSON), before the token is.
    const body = global ? await readBody(json, req, res) : await readBody(json, req, res).catch(() => undefined);
    const repository = GenericGitPush.shape.repository.safeParse((body as { repository?: unknown } | undefined)?.repository);
    if (!global && !(repository.success && (await opts.authorizePush?.(token, [repository.data])))) return refuse();
    const mapped = genericPushToTrigger(body);
    if ('ignored' in mapped) {
      res.status(200).json({ status: 'ignored', reason: mapped.ignored });
      return;
    }
    await dispatchTrigger(mapped.event, dispatch, res);
  }

  router.post(GENERIC_GIT_WEBHOOK_PATH, async (req, res) => {
    try {
      await receive(req, res);
    } catch (err) {
      answerFailure(res, err, log, { path: GENERIC_GIT_WEBHOOK_PATH });
    }
  });
  return router;
}
