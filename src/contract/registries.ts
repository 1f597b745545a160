// Registry credentials over HTTP: what the API answers (the login request is in requests.ts). A password is
// write-only: sent once with the login, stored sealed, and never answered, listed or logged.
import * as z from '../zod-mini.js';

/**
 * A registry as `docker login` names it: `host[:port]`, the host a DNS name, an IPv4 address or a bracketed
 * IPv6 address. No scheme and no path: credentials belong to a whole registry.
 */
export const REGISTRY_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;
export const MAX_REGISTRY_HOST = 255;
/** Basic auth ends the user name at the first colon, so it cannot hold one; no whitespace or control characters. */
export const REGISTRY_USERNAME = /^[^\s:\x00-\x1f\x7f-\x9f]{1,256}$/;
/** Long enough for the longest registry tokens in use (ECR's, GCP's access tokens). */
export const MAX_REGISTRY_PASSWORD = 8192;

/** Credentials as shown: who logs in where, never the password. */
export const RegistryInfo = z.object({
  host: z.string(),
  username: z.string(),
  /** The task whose runs alone use them; absent for the server's own, used by every run. */
  task: z.optional(z.string()),
  createdAt: z.string(),
});
export type RegistryInfo = z.infer<typeof RegistryInfo>;

export const RegistryList = z.object({ registries: z.array(RegistryInfo) });
export type RegistryList = z.infer<typeof RegistryList>;
