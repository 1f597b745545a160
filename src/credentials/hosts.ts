// One name per registry, whichever spelling a user, a Dockerfile or BuildKit uses: Docker Hub answers to
// docker.io, index.docker.io and registry-1.docker.io (BuildKit asks for the last), and host names are
// case-insensitive. Credentials are stored and looked up under this name.
const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export function credentialHost(registry: string): string {
  const name = registry.toLowerCase();
  return DOCKER_HUB_NAMES.has(name) ? 'docker.io' : name;
}
