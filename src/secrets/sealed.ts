// Secret values at rest: sealed with AES-256-GCM under a server key before they are written anywhere that
// outlives a process (BullMQ job data, which Redis's AOF keeps on disk), opened only where they are used.
// Each sealed value names the key that sealed it, so a new key can seal while old ones still open.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';

/** A sealed value as it is stored: the key's id, the nonce, and the ciphertext with its tag, base64. */
export const Sealed = z.object({ kid: z.string().regex(/^[a-f0-9]{16}$/), iv: z.string().min(1), data: z.string().min(1) });
export type Sealed = z.infer<typeof Sealed>;

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Why a sealed value cannot be opened; never says anything about its content. */
export class SealedError extends Error {
  override name = 'SealedError';
}

/** A key's id: a fingerprint, so a value says which key opens it without saying anything about the key. */
function keyId(key: Buffer): string {
  return createHash('sha256').update('slipway-sealed-key-id').update(key).digest('hex').slice(0, 16);
}

/** The server's keys: the first seals, every one opens. */
export class Keyring {
  private readonly keys = new Map<string, Buffer>();
  private readonly current: string;

  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new SealedError('a keyring needs at least one key');
    for (const key of keys) {
      if (key.length !== KEY_BYTES) throw new SealedError(`a secret key is ${KEY_BYTES} bytes, got ${key.length}`);
      this.keys.set(keyId(key), key);
    }
    this.current = keyId(keys[0]!);
  }

  /** A fresh random key, as the key file holds one (base64). */
  static generateKey(): Buffer {
    return randomBytes(KEY_BYTES);
  }

  /**
   * Seals `plaintext`; `context` (e.g. the run id) is bound to it, so a sealed value copied into another job
   * does not open there.
   */
  seal(plaintext: string, context: string): Sealed {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.current)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { kid: this.current, iv: iv.toString('base64'), data: data.toString('base64') };
  }

  /** The plaintext; a SealedError when no key here sealed it, or it (or its context) was changed. */
  open(sealed: Sealed, context: string): string {
    const key = this.keys.get(sealed.kid);
    if (!key) throw new SealedError(`sealed with key ${sealed.kid}, which this server does not have (check SLIPWAY_SECRET_KEY_FILE or SLIPWAY_SECRET_KEY)`);
    const iv = Buffer.from(sealed.iv, 'base64');
    const data = Buffer.from(sealed.data, 'base64');
    if (iv.length !== IV_BYTES || data.length < TAG_BYTES) throw new SealedError('a sealed value is malformed');
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SealedError('a sealed value failed its integrity check: it was changed, or sealed for something else');
    }
  }
}
