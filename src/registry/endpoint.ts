// Where a registry name (`docker.io`, `127.0.0.1:5000`, `[::1]:5000`) is reached: its base URL and
// whether plain HTTP is used. Docker Hub's API lives on registry-1.docker.io.
import { isIP } from 'node:net';

const DOCKER_HUB_API = 'registry-1.docker.io';

/** The host part of a registry name, without port or IPv6 brackets, lowercased. */
export function registryHost(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(1, registry.indexOf(']')).toLowerCase();
  const colon = registry.indexOf(':');
  return (colon === -1 ? registry : registry.slice(0, colon)).toLowerCase();
}

/** localhost, 127.0.0.0/8 and ::1: registries used over plain HTTP unless told otherwise (as Docker does). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registryHost(registry);
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** `https://host[:port]` (or `http://` when insecure), without a trailing slash. */
export function registryBaseUrl(registry: string, insecure: boolean): string {
  const host = registry === 'docker.io' ? DOCKER_HUB_API : registry;
  return `${insecure ? 'http' : 'https'}://${host}`;
}
