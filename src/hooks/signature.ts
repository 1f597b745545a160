// GitHub's webhook signature scheme, so receivers that verify GitHub's deliveries (octokit's `verify`, the
// snippets in GitHub's docs) verify Slipway's: an HMAC-SHA256 of the exact body bytes with the hook's secret.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Hub-Signature-256';
export const DELIVERY_HEADER = 'X-Slipway-Delivery';
export const EVENT_HEADER = 'X-Slipway-Event';

/** `sha256=<hex>` of `body` under `secret`. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `signature` is `body`'s under `secret`, compared in constant time. */
export function verifyBody(secret: string, body: string | Buffer, signature: string): boolean {
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
