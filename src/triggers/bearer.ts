// Bearer tokens for the generic git webhook, compared in constant time: both sides are hashed first so
// neither the length nor the first differing byte of a configured token shows in the timing.
import { createHash, timingSafeEqual } from 'node:crypto';

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(authorization ?? '');
  return match?.[1];
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** True when the presented token equals one of the configured ones; every one is compared, empty ones never match. */
export function tokenMatches(presented: string, tokens: readonly string[]): boolean {
  const want = digest(presented);
  let matched = false;
  for (const token of tokens) {
    if (token !== '' && timingSafeEqual(want, digest(token))) matched = true;
  }
  return matched;
}
