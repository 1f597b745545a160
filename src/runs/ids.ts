// Run ids: short, sortable and typable. A per-installation counter in Redis, written in lowercase
// Crockford base32 (no i, l, o, u) at a fixed width, so string order is creation order: r00001a, r00001b…
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const WIDTH = 7;

export function formatRunId(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1 || seq >= 32 ** WIDTH) throw new RangeError(`run sequence out of range: ${seq}`);
  let out = '';
  for (let n = seq; n > 0; n = Math.floor(n / 32)) out = ALPHABET[n % 32] + out;
  return 'r' + out.padStart(WIDTH, '0');
}

export const RUN_ID_PATTERN = /^r[0-9a-hjkmnp-tv-z]{7}$/;
