// A run's registry logins in the two forms the Engine takes them: the X-Registry-Auth object of a push or
// pull (for the one registry it talks to), and the answers of BuildKit's session Auth service (host by host).
import type { CredentialsProvider } from '../../../src/registry/auth.js';
import { parseImageReference } from '../../../src/registry/reference.js';
import type { BuildFailure, RegistryCredentials } from '../image-builder.js';

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

/**
 * BuildKit's words for a registry that asked for a login while the build had no session to ask (a run with no
 * logins opens none): "[internal] load metadata for HOST/repo:tag" failing with "no active sessions". Said
 * in the user's terms, naming the registry and the command that fixes it; other failures are left as they are.
 */
export function explainMissingLogin(failure: BuildFailure): BuildFailure {
  const image = /load metadata for (\S+)/.exec(failure.step)?.[1];
  if (!image || !/no active sessions/.test(failure.error)) return failure;
  let registry: string;
  try {
    registry = parseImageReference(image).registry;
  } catch {
    return failure;
  }
  return { ...failure, error: `registry ${registry} asks for a login to pull ${image} (401 unauthorized), and this run has none for it: slipway registry login ${registry}` };
}
