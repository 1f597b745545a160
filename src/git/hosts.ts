// Which network a git host is on: loopback, private, link-local or public. Pure; used on the host of a
// repository URL (src/git/url.ts) and on the addresses its name resolves to (./host-check.ts).
import { BlockList, isIP } from 'node:net';

export type HostClass = 'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);

function blockList(v4: [string, number][], v6: [string, number][]): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

// Checked in this order; node's BlockList also matches IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) against IPv4 rules.
const CLASSES: [HostClass, BlockList][] = [
  ['unspecified', blockList([['0.0.0.0', 8]], [['::', 128]])],
  ['loopback', blockList([['127.0.0.0', 8]], [['::1', 128]])],
  ['link-local', blockList([['169.254.0.0', 16]], [['fe80::', 10]])],
  // RFC 1918, carrier-grade NAT (RFC 6598), unique local (RFC 4193), and the IPv4 ranges NAT64 and 6to4 embed.
  [
    'private',
    blockList(
      [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10], ['198.18.0.0', 15], ['192.0.0.0', 24]],
      [['fc00::', 7], ['64:ff9b::', 96], ['2002::', 16], ['fec0::', 10]],
    ),
  ],
  ['multicast', blockList([['224.0.0.0', 4]], [['ff00::', 8]])],
  ['reserved', blockList([['240.0.0.0', 4]], [])],
];

/**
 * Classifies a host name or IP literal (IPv6 without brackets; a `%zone` is ignored). Names are `public`
 * except localhost and its kin: what a name resolves to is checked where it is resolved.
 */
export function classifyHost(host: string): HostClass {
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const zone = h.indexOf('%');
  if (zone !== -1) h = h.slice(0, zone);
  while (h.endsWith('.')) h = h.slice(0, -1);
  const family = isIP(h);
  if (family === 0) {
    const v4 = parseIPv4Loose(h);
    if (v4 === undefined) return LOOPBACK_NAMES.has(h) || h.endsWith('.localhost') ? 'loopback' : 'public';
    h = v4;
  }
  const type = isIP(h) === 6 ? 'ipv6' : 'ipv4';
  for (const [cls, list] of CLASSES) if (list.check(h, type)) return cls;
  return 'public';
}

const DESCRIPTIONS: Record<HostClass, string> = {
  public: 'a public address',
  loopback: 'a loopback address',
  private: 'a private-network address',
  'link-local': 'a link-local address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

/** `a loopback address`, for messages. */
export function describeHostClass(cls: HostClass): string {
  return DESCRIPTIONS[cls];
}

/** Every class but `public` is refused unless the policy allows private hosts. */
export function isPublicHost(host: string): boolean {
  return classifyHost(host) === 'public';
}

/**
 * Reads an IPv4 address the way inet_aton (and so ssh, curl and the WHATWG URL parser) does: one to four
 * parts, each decimal, octal (leading 0) or hex (0x), the last one filling the remaining bytes. `0x7f.1` and
 * `2130706433` are 127.0.0.1. Returns dotted decimal, or undefined when `host` is not such an address.
 */
export function parseIPv4Loose(host: string): string | undefined {
  const parts = host.split('.');
  if (parts.length > 4 || parts.some((p) => p === '')) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(p)) n = p.length === 2 ? 0 : Number.parseInt(p.slice(2), 16);
    else if (/^0[0-7]+$/.test(p)) n = Number.parseInt(p.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(p)) n = Number(p);
    else return undefined;
    if (!Number.isSafeInteger(n)) return undefined;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return undefined;
  let value = last;
  nums.forEach((n, i) => (value += n * 256 ** (3 - i)));
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}
