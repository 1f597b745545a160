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

/** The image whose metadata BuildKit could not load for want of a session to ask its registry's login from. */
function sessionlessPull(failure: BuildFailure): { image: string; registry: string } | undefined {
  const image = /load metadata for (\S+)/.exec(failure.step)?.[1];
  if (!image || !/no active sessions/.test(failure.error)) return undefined;
  try {
    return { image, registry: parseImageReference(image).registry };
  } catch {
    return undefined;
  }
}

/**
 * BuildKit's words for a registry that asked for a login while the build had no session to ask (a run with no
 * logins opens none): "[internal] load metadata for HOST/repo:tag" failing with "no active sessions". Said
 * in the user's terms, naming the registry and the command that fixes it; other failures are left as they are.
 */
export function explainMissingLogin(failure: BuildFailure): BuildFailure {
  const pull = sessionlessPull(failure);
  if (!pull) return failure;
  return { ...failure, error: `registry ${pull.registry} asks for a login to pull ${pull.image} (401 unauthorized), and this run has none for it: slipway registry login ${pull.registry}` };
}

/**
 * The same words from a build whose session does hold a login for that registry: Docker 20.10's BuildKit hands
 * one repository's login to every build pulling from it at once, through whichever build's session asked last,
 * and a build fails this way when that other build has ended and closed its session (fixed in BuildKit 0.9).
 * The registry, when that is the failure; the build may be tried again.
 */
export async function loginTakenByAnotherBuild(failure: BuildFailure, credentials: RegistryCredentials | undefined): Promise<string | undefined> {
  const pull = sessionlessPull(failure);
  return pull && credentials && (await credentials(pull.registry)) ? pull.registry : undefined;
}
