// A run's logins as the registry client and the builder ask for them: by registry name, in any of its
// spellings (credentialHost), and each password registered for masking before anything can print it.
import type { Credentials, CredentialsProvider } from '../registry/auth.js';
import type { SecretMasker } from '../log.js';
import { credentialHost } from './hosts.js';
import type { RegistryLogin } from './login.js';

export function credentialsProvider(logins: readonly RegistryLogin[], masker?: SecretMasker): CredentialsProvider | undefined {
  if (logins.length === 0) return undefined;
  const byHost = new Map<string, Credentials>();
  for (const login of logins) {
    masker?.add(login.password);
    byHost.set(credentialHost(login.host), { username: login.username, password: login.password });
  }
  return (registry) => byHost.get(credentialHost(registry));
}
