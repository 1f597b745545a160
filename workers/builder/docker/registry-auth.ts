// A run's registry logins in the two forms the Engine takes them: the X-Registry-Auth object of a push or
// pull (for the one registry it talks to), and the answers of BuildKit's session Auth service (host by host).
import type { CredentialsProvider } from '../../../src/registry/auth.js';
import type { RegistryCredentials } from '../image-builder.js';

/** docker's AuthConfig: the login for `registry` when the run has one; the address alone otherwise (an open registry). */
export async function registryAuthConfig(credentials: CredentialsProvider | undefined, registry: string): Promise<Record<string, string>> {
  const found = await credentials?.(registry);
  return found ? { username: found.username, password: found.password, serveraddress: registry } : { serveraddress: registry };
}

/** BuildKit asks by host as it dials it (`registry-1.docker.io` for Docker Hub): the provider knows every spelling. */
export function buildkitCredentials(credentials: CredentialsProvider): RegistryCredentials {
  return async (host) => {
    const found = await credentials(host);
    return found ? { username: found.username, secret: found.password } : undefined;
  };
}
