// Token secrets: made from 32 random bytes, stored only as their SHA-256.
//
// A password needs a slow hash (scrypt, argon2) because people choose guessable ones, and a stolen hash
// can be tried against a dictionary. A token here is 256 bits from the system's CSPRNG: there is nothing
// to guess, so one SHA-256 is as safe as any slow hash, and it lets every request be checked in
// microseconds by looking the hash up directly.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'slw_';

export function newTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** The hex SHA-256 of a token: the only form of it that is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Equal hex hashes, compared in constant time (the lookup by hash already found it; this makes the check explicit). */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** Whether a string has the shape of a token, before any lookup (junk costs no Redis call). */
export function looksLikeToken(value: string): boolean {
  return value.startsWith(TOKEN_PREFIX) && /^[A-Za-z0-9_-]{40,60}$/.test(value.slice(TOKEN_PREFIX.length));
}
