// How an API instance hears that a token record changed: a subscription of its own to the channel the token
// store publishes every change on, in the same MULTI/EXEC as the change (store.ts). When EXEC returns, Redis
// has already put the message in the buffer of every subscribed connection; so by the time a revoke call
// has answered its client, each instance's copy of the message is on its way, one hop ahead of any request
// that client sends next.
//
// Why pub/sub and not Redis's client-side caching (CLIENT TRACKING): ioredis speaks RESP3 but hands on only
// pub/sub push frames, dropping `invalidate` ones, so tracking would need REDIRECT to a subscriber of
// `__redis__:invalidate`, and that ties two connections together: the reading connection must turn tracking
// on again, naming the subscriber's new client id, after either one reconnects, and it is the API's shared
// connection, whose other reads would be tracked too (or BCAST would announce every write under the token
// prefix). Here one connection's state says everything: subscribed and answering, the cache may be used;
// anything else, it is cleared and bypassed. What pub/sub does not hear is a token key edited by hand in
// Redis, outside the store; the cache's safety TTL bounds that.
//
// A connection can also stop delivering without closing (a partition, a stalled Redis), or deliver late. A
// ping every second on the same connection is answered only after every message Redis sent before it: the
// cache is trusted only while a ping sent within `trustForMs` has been answered, which bounds how old a
// change can be and still be unheard, however slow the connection; one silent for long is made again.
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { SlipwayKeys } from '../store/keys.js';

/** What the feed tells: one record changed, or anything may have. */
export interface ChangeListener {
  forget(hash: string): void;
  clear(): void;
}

export interface FeedTiming {
  /** How often the connection is pinged. */
  heartbeatMs: number;
  /** Trusted only while a ping (or the subscription) sent within this long has been answered. */
  trustForMs: number;
  /** A connection silent this long is closed and made again. */
  reconnectAfterMs: number;
}

export const FEED_TIMING: FeedTiming = { heartbeatMs: 1000, trustForMs: 3000, reconnectAfterMs: 10_000 };

/** The subscriber connection's name: CLIENT LIST shows which API process holds it. */
export function feedConnectionName(pid = process.pid): string {
  return `slipway-api-tokens-${pid}`;
}

export class TokenChangeFeed {
  private readonly subscriber: Redis;
  private readonly channel: string;
  private subscribed = false;
  private subscribing = false;
  /** When the last answered ping (or subscribe) was sent: every change published before then has been heard. */
  private heardAt = 0;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** Whether a loss was logged since the feed was last on, so a Redis that stays away is logged once. */
  private offLogged = false;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly listener: ChangeListener,
    private readonly log: Logger,
    private readonly timing: FeedTiming = FEED_TIMING,
  ) {
    this.channel = new SlipwayKeys(prefix).tokenChanges;
    // Subscribed by hand on every `ready`, not by ioredis's autoResubscribe, so the feed knows the moment the
    // subscription is back; commands fail at once while disconnected rather than wait in a queue.
    this.subscriber = redis.duplicate({ connectionName: feedConnectionName(), autoResubscribe: false, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    this.subscriber.on('message', (channel: string, hash: string) => {
      if (channel === this.channel) this.listener.forget(hash);
    });
    this.subscriber.on('ready', () => {
      // ioredis reports a closed connection on the socket's `close`, which Node emits a turn of the event loop
      // after the peer's FIN was read: requests read in between would still trust the cache. `end` comes
      // with the FIN itself.
      this.subscriber.stream.once('end', () => this.off('connection ended by Redis'));
      this.subscribe();
    });
    this.subscriber.on('close', () => this.off('connection closed'));
    this.subscriber.on('error', (err: Error) => this.off(err.message));
    this.timer = setInterval(() => this.beat(), timing.heartbeatMs);
    this.timer.unref();
  }

  /** Whether every token change published until `trustForMs` ago has been heard, and each one since will be as it arrives. */
  live(): boolean {
    return this.subscribed && Date.now() - this.heardAt < this.timing.trustForMs;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.subscribed = false;
    this.listener.clear();
    this.subscriber.disconnect();
  }

  private subscribe(): void {
    if (this.closed || this.subscribing) return;
    this.subscribing = true;
    const sent = Date.now();
    this.subscriber.subscribe(this.channel).then(
      () => {
        this.subscribing = false;
        if (this.closed) return;
        // Changes made while nobody listened are unknown. The cache kept nothing since the loss (it was cleared
        // then and takes nothing while untrusted); cleared again so that this holds whatever the path here.
        this.listener.clear();
        this.heardAt = sent;
        this.subscribed = true;
        this.offLogged = false;
        this.log.info({ channel: this.channel }, 'token cache on: token changes are heard');
      },
      (err: Error) => {
        this.subscribing = false;
        this.off(`subscribe failed: ${err.message}`);
      },
    );
  }

  private off(reason: string): void {
    this.subscribed = false;
    this.listener.clear();
    if (this.closed || this.offLogged) return;
    this.offLogged = true;
    this.log.warn({ reason }, 'token cache off: token changes may go unheard, every token is read from Redis');
  }

  private beat(): void {
    if (this.subscriber.status !== 'ready') return;
    // An error that left the connection up (a refused subscribe) is mended here.
    if (!this.subscribed) return this.subscribe();
    if (Date.now() - this.heardAt >= this.timing.reconnectAfterMs) {
      this.off('no answer to pings');
      this.subscriber.disconnect(true);
      return;
    }
    const sent = Date.now();
    this.subscriber.ping().then(
      () => (this.heardAt = Math.max(this.heardAt, sent)),
      () => undefined,
    );
  }
}
