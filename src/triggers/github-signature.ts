// Checks X-Hub-Signature-256 against each configured secret (the current one and those being rotated
// out), with @octokit/webhooks's constant-time verify over the exact bytes received.
import { Webhooks } from '@octokit/webhooks';

export const SIGNATURE_FORMAT = /^sha256=[0-9a-f]{64}$/;

export type SignatureCheck = (payload: string, signature: string) => Promise<boolean>;

export function signatureCheck(secrets: readonly string[]): SignatureCheck {
  if (secrets.length === 0 || secrets.some((s) => s === '')) {
    throw new Error('the GitHub webhook needs at least one secret, and no empty one');
  }
  const verifiers = secrets.map((secret) => new Webhooks({ secret }));
  return async (payload, signature) => {
    if (!SIGNATURE_FORMAT.test(signature) || payload === '') return false;
    for (const webhooks of verifiers) {
      if (await webhooks.verify(payload, signature).catch(() => false)) return true;
    }
    return false;
  };
}
