// The address check a host name needs before git connects to it: a public name can resolve to loopback or
// to a private network (127.0.0.1.nip.io, an internal CNAME), which a URL check cannot see. Not proof
// against DNS rebinding between this lookup and git's own, but it stops every static trick.
import dns from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyHost, describeHostClass } from './hosts.js';
import { BadInputError } from '../errors.js';
import { GitError } from './errors.js';

export type Lookup = (host: string) => Promise<string[]>;

const systemLookup: Lookup = async (host) => (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Throws unless every address `host` resolves to is public. IP literals were classified with the URL. */
export async function assertPublicAddresses(host: string, lookup: Lookup = systemLookup): Promise<void> {
  if (isIP(host) !== 0) return;
  let addresses: string[];
  try {
    addresses = await lookup(host);
  } catch (err) {
    throw new GitError('git_unavailable', `cannot resolve the git host ${host}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  for (const address of addresses) {
    const cls = classifyHost(address);
    if (cls !== 'public') {
      throw new BadInputError(
        `git host ${host} resolves to ${address}, ${describeHostClass(cls)}; repositories on loopback or private networks are not allowed (an administrator can allow them)`,
        'git_url_not_allowed',
      );
    }
  }
}
