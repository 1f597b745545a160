// GET /v1/runs/:id/logs: the whole log as text, or with ?follow=1 a live Server-Sent Events stream that
// resumes after Last-Event-ID and ends with an `end` event carrying the final run (contract/logs.ts).
import { Router, type Response } from 'express';
import { END_EVENT, EVENT_ID, LOG_EVENT } from '../../contract/logs.js';
import type { Run } from '../../contract/runs.js';
import type { Principal } from '../../auth/tokens.js';
import { BadInputError, SlipwayError } from '../../errors.js';
import type { LogHub } from '../../runs/log-hub.js';
import { isTerminal } from '../../runs/model.js';
import type { RunService } from '../../runs/service.js';

/** How long a follower waits for news before a keep-alive (and a look at whether its run ended without an end entry). */
const KEEP_ALIVE_MS = 5000;

export function logRoutes(runs: RunService, hub: LogHub, opts: { followersPerClient: number }): Router {
  const router = Router();
  // Each follower holds a socket and a share of the API's memory (one batch of lines): one client (a token,
  // or an address without one) may not hold more than its share.
  const following = new Map<string, number>();

  router.get('/v1/runs/:id/logs', async (req, res) => {
    const run = await runs.get(req.params.id);
    const follow = req.query.follow === '1' || req.query.follow === 'true';
    if (!follow) return sendText(runs, run.id, res);
    const client = (res.locals.principal as Principal | undefined)?.name ?? `address:${req.socket.remoteAddress ?? ''}`;
    const held = following.get(client) ?? 0;
    if (held >= opts.followersPerClient) {
      throw new SlipwayError(429, 'too_many_followers', `this client already follows ${held} logs, the most it may at once (SLIPWAY_LOG_FOLLOWERS_PER_CLIENT); close one first`);
    }
    following.set(client, held + 1);
    res.once('close', () => {
      const left = (following.get(client) ?? 1) - 1;
      if (left > 0) following.set(client, left);
      else following.delete(client);
    });

    const resumeFrom = req.get('last-event-id') ?? (typeof req.query.lastEventId === 'string' ? req.query.lastEventId : undefined);
    if (resumeFrom !== undefined && !EVENT_ID.test(resumeFrom)) {
      throw new BadInputError(`Last-Event-ID ${JSON.stringify(resumeFrom.slice(0, 40))} is not an event id of this log`, 'invalid_event_id');
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    try {
      await streamEvents(runs, hub, run.id, resumeFrom ?? '-', res, gone.signal);
    } catch (err) {
      if (!gone.signal.aborted) throw err;
    } finally {
      res.end();
    }
  });

  return router;
}

async function sendText(runs: RunService, id: string, res: Response): Promise<void> {
  res.type('text/plain; charset=utf-8');
  for (let after = '-'; ; ) {
    const entries = await runs.log.read(id, after, READ_BATCH);
    if (entries.length === 0) break;
    await send(res, entries.flatMap((e) => ('line' in e ? [e.line + '\n'] : [])).join(''));
    after = entries[entries.length - 1]!.id;
  }
  res.end();
}

/**
 * Reads the log at the follower's own pace, a batch at a time, and waits on the hub once it has read all
 * there is: a follower that reads slowly holds one batch, and no Redis connection of its own.
 */
async function streamEvents(runs: RunService, hub: LogHub, id: string, from: string, res: Response, gone: AbortSignal): Promise<void> {
  let after = from;
  let idleWhileTerminal = 0;
  while (!gone.aborted) {
    const entries = await runs.log.read(id, after, READ_BATCH);
    if (gone.aborted) return;
    for (const e of entries) {
      if ('end' in e) {
        res.write(`id: ${sseValue(e.id)}\nevent: ${END_EVENT}\ndata: ${sseValue(JSON.stringify((await runs.get(id)) satisfies Run))}\n\n`);
        return;
      }
      await send(res, `id: ${sseValue(e.id)}\nevent: ${LOG_EVENT}\ndata: ${sseValue(e.line)}\n\n`);
      if (gone.aborted) return;
      after = e.id;
    }
    if (entries.length > 0) continue;
    if (await hub.waitForEntries(runs.log.key(id), after, KEEP_ALIVE_MS, gone)) continue;
    if (gone.aborted) return;
    res.write(': keep-alive\n\n');
    // A run that ended without an end entry (its log was deleted) must not hold the follower forever.
    const run = await runs.get(id);
    if (isTerminal(run.status) && ++idleWhileTerminal >= 2) {
      res.write(`event: ${END_EVENT}\ndata: ${sseValue(JSON.stringify(run satisfies Run))}\n\n`);
      return;
    }
  }
}

/** Lines read at a time, for the text form and for each follower: with lines of up to 64 KiB, what one reader may hold. */
const READ_BATCH = 100;

/**
 * Writes a chunk and, when the client reads slower than the log comes, waits until it has taken what is
 * buffered before anything more is read: a slow reader costs one chunk of memory, not the whole log.
 */
function send(res: Response, chunk: string): Promise<void> {
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * A value for one SSE field line. The stream's reader ends a line at CRLF, a lone LF and a lone CR alike, so
 * any of them left in build output would start a new field: `\r\revent: end\rdata: …` would forge the end.
 */
export function sseValue(text: string): string {
  return text.replace(/\r\n|[\r\n]/g, ' ');
}
