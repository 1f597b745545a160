// The server's own logins as the API's registry client asks for them (base-image polling, graph notify):
// read from the store once and kept, so a poll of many images does not read Redis for each one; read again
// at once after a login or logout through this API, and after a few seconds for one through another instance.
import type { CredentialsProvider } from '../registry/auth.js';
import { credentialsProvider } from './provider.js';
import type { RegistryCredentialStore } from './store.js';

const REREAD_AFTER_MS = 5_000;

export function serverCredentials(store: RegistryCredentialStore, now: () => number = Date.now): CredentialsProvider {
  let cached: { at: number; provider: Promise<CredentialsProvider | undefined> } | undefined;
  store.onChange(() => (cached = undefined));
  return async (registry) => {
    if (!cached || now() - cached.at > REREAD_AFTER_MS) {
      const provider = store.forRun().then((logins) => credentialsProvider(logins));
      cached = { at: now(), provider };
      // A failed read is not kept: the next call tries again.
      provider.catch(() => (cached = undefined));
    }
    return (await cached.provider)?.(registry);
  };
}
