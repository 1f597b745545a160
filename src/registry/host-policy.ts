// Which registry hosts Slipway talks to: the same rule as for git URLs (src/git/hosts.ts). A registry name
// arrives from outside (a notification, a Dockerfile's FROM, a token realm a registry names), so a loopback,
// private, link-local (cloud metadata) or otherwise special address is refused unless the operator allows
// private hosts, except the registries the operator configured (the default registry, e.g. 127.0.0.1:5000).
import { classifyHost, describeHostClass } from '../git/hosts.js';
import { registryHost } from './endpoint.js';

export interface RegistryHostPolicy {
  /** SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS: every host class allowed (tests, a registry on the private network). */
  allowPrivateHosts: boolean;
  /** Registry names (`host[:port]`) always allowed: those the operator configured. */
  trusted: readonly string[];
}

/** Why Slipway will not contact `registry` (a `host[:port]`), or undefined when it may. */
export function registryHostProblem(registry: string, policy: RegistryHostPolicy | undefined): string | undefined {
  if (!policy || policy.allowPrivateHosts) return undefined;
  const name = registry.toLowerCase();
  if (policy.trusted.some((t) => t.toLowerCase() === name)) return undefined;
  const cls = classifyHost(registryHost(name));
  if (cls === 'public') return undefined;
  return `${registry} is ${describeHostClass(cls)}, which this server does not contact (SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS)`;
}
