// Where hooks may send: http(s) URLs, with no credentials in them, to hosts the git host policy allows
// (src/git/hosts.ts): loopback, private, link-local (cloud metadata) and other special addresses are refused
// unless the operator allows private hosts. The URL is checked at creation; the addresses its name resolves
// to are checked at every connection (see deliver.ts), so a name that later points inside is refused too.
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { classifyHost, describeHostClass } from '../git/hosts.js';

export interface HookUrlPolicy {
  /** SLIPWAY_HOOK_ALLOW_PRIVATE_HOSTS. */
  allowPrivateHosts: boolean;
}

/** Why a hook may not send to `url`, or undefined when it may. */
export function hookUrlProblem(url: string, policy: HookUrlPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not an absolute URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return `${parsed.protocol} is not http: or https:`;
  // They would be stored, listed to readers and sent on every delivery: the secret is the hook's secret.
  if (parsed.username || parsed.password) return 'a hook URL may not carry credentials; receivers check the X-Hub-Signature-256 header instead';
  if (parsed.hash) return 'a hook URL has no #fragment';
  if (policy.allowPrivateHosts) return undefined;
  const cls = classifyHost(parsed.hostname);
  return cls === 'public' ? undefined : `${parsed.hostname} is ${describeHostClass(cls)}, where hooks do not send (SLIPWAY_HOOK_ALLOW_PRIVATE_HOSTS)`;
}

/** Refused connection: its message is the reason, safe to record on the delivery. */
export class HookHostError extends Error {
  override name = 'HookHostError';
}

/**
 * A `lookup` for http.request that resolves as usual and refuses a name with any non-public address, so the
 * address checked is the one connected to (no window for a rebinding between a check and the connection).
 */
export function guardedLookup(policy: HookUrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      if (!policy.allowPrivateHosts) {
        const inside = list.find((a) => classifyHost(a.address) !== 'public');
        if (inside) return callback(new HookHostError(`${hostname} resolves to ${inside.address}, ${describeHostClass(classifyHost(inside.address))}`), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}
