/**
 * The check before we call a URL someone else gave us (a webhook's): its host must resolve only
 * to public addresses, or the call could reach our own network instead (server-side request
 * forgery): the instance metadata service and its credentials, a local admin port, a VPC
 * neighbour. Every resolved address must be public, not just one: the connection may use any.
 *
 * The addresses it answers are the ones to connect to (pin them in the request's `lookup`):
 * resolving the name again when connecting would let a DNS answer that changes in between
 * (rebinding) take the call elsewhere. Redirects must not be followed, for the same reason.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export interface ResolvedAddress {
  address: string;
  family: number;
}
export type Resolve = (host: string) => Promise<ResolvedAddress[]>;
export type OutboundCheck = { ok: true; addresses: string[] } | { ok: false; reason: string };

/** What an address that is not public is, by range, the narrower ranges first. */
const NOT_PUBLIC: readonly (readonly [string, readonly string[]])[] = [
  ['an unspecified address', ['0.0.0.0/8', '::/128']],
  ['a loopback address', ['127.0.0.0/8', '::1/128']],
  // EC2's instance metadata service, where the function's credentials are to be had.
  ['the cloud metadata address', ['169.254.169.254/32', 'fd00:ec2::254/128']],
  ['a link-local address', ['169.254.0.0/16', 'fe80::/10']],
  ['a private address', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fec0::/10']],
  ['a carrier-grade NAT (shared) address', ['100.64.0.0/10']],
  ['a multicast address', ['224.0.0.0/4', 'ff00::/8']],
  [
    'a reserved address',
    [
      '240.0.0.0/4',
      '192.0.0.0/24',
      '192.0.2.0/24',
      '198.18.0.0/15',
      '198.51.100.0/24',
      '203.0.113.0/24',
      // IPv4-compatible (deprecated), NAT64 local use, discard-only, Teredo, documentation.
      '::/96',
      '64:ff9b:1::/48',
      '100::/64',
      '2001::/32',
      '2001:db8::/32',
    ],
  ],
];

const RANGES = NOT_PUBLIC.map(([label, subnets]) => {
  const list = new BlockList();
  for (const subnet of subnets) {
    const [network = '', prefix = ''] = subnet.split('/');
    list.addSubnet(network, Number(prefix), isIP(network) === 6 ? 'ipv6' : 'ipv4');
  }
  return { label, list };
});

/** An IPv6 address's eight 16-bit groups (it is one: `isIP` said so). */
function ipv6Groups(address: string): number[] {
  const groupsOf = (part: string): number[] =>
    part
      ? part.split(':').flatMap((piece) => {
          if (!piece.includes('.')) return [Number.parseInt(piece, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        })
      : [];
  const [head = '', tail] = address.split('::');
  const front = groupsOf(head);
  const back = tail === undefined ? [] : groupsOf(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

const ipv4Of = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');

/**
 * The IPv4 address an IPv6 one carries, where a connection to it reaches that IPv4 address:
 * IPv4-mapped (::ffff:a.b.c.d) and -translated, NAT64's well-known prefix (as AWS's NAT gateway
 * uses), and 6to4.
 */
function embeddedIpv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  const at = (index: number) => groups[index] ?? 0;
  const zeros = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  const mapped = at(4) === 0 && at(5) === 0xffff;
  const translated = at(4) === 0xffff && at(5) === 0;
  if (zeros(0, 4) && (mapped || translated)) return ipv4Of(at(6), at(7));
  if (at(0) === 0x64 && at(1) === 0xff9b && zeros(2, 6)) return ipv4Of(at(6), at(7));
  if (at(0) === 0x2002) return ipv4Of(at(1), at(2));
  return undefined;
}

function rangeOf(address: string): string | undefined {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  return RANGES.find(({ list }) => list.check(address, family))?.label;
}

/** What is not public about an address, naming it, or undefined when it is public. */
export function notPublic(address: string): string | undefined {
  const bare = address.split('%')[0] ?? '';
  const family = isIP(bare);
  if (family === 0) return `${address}, which is not an IP address`;
  if (family === 6) {
    const ipv4 = embeddedIpv4(bare);
    const label = ipv4 === undefined ? undefined : rangeOf(ipv4);
    if (label) return `${address} (IPv4 ${ipv4}), ${label}`;
  }
  const label = rangeOf(bare);
  return label ? `${address}, ${label}` : undefined;
}

const resolveAll: Resolve = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * Whether a URL may be called: http or https, and its host (a name, or an address in any
 * spelling the URL parser accepts: 2130706433, 0x7f.1, [::ffff:127.0.0.1]) resolving only to
 * public addresses. `allowPrivate` (local development, where receivers run on this machine)
 * lets any address pass.
 */
export async function checkOutboundUrl(
  url: string,
  options: { allowPrivate: boolean; lookup?: Resolve },
): Promise<OutboundCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'the URL is not an absolute URL' };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    return { ok: false, reason: `the URL's scheme ${parsed.protocol} is not http or https` };
  // The parser has already written literal addresses canonically (IPv4 dotted, IPv6 bracketed).
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0) {
    const problem = options.allowPrivate ? undefined : notPublic(host);
    return problem ? { ok: false, reason: `the URL's host is ${problem}` } : { ok: true, addresses: [host] };
  }
  const name = host.replace(/\.$/, '');
  if (!options.allowPrivate && (name === 'localhost' || name.endsWith('.localhost')))
    return { ok: false, reason: `the URL's host ${host} is this machine (a localhost name)` };
  let resolved: ResolvedAddress[];
  try {
    resolved = await (options.lookup ?? resolveAll)(host);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      ok: false,
      reason: `the URL's host ${host} did not resolve${typeof code === 'string' ? ` (${code})` : ''}`,
    };
  }
  if (resolved.length === 0) return { ok: false, reason: `the URL's host ${host} did not resolve` };
  const addresses = resolved.map(({ address }) => address);
  if (!options.allowPrivate)
    for (const address of addresses) {
      const problem = notPublic(address);
      if (problem) return { ok: false, reason: `the URL's host resolves to ${problem}` };
    }
  return { ok: true, addresses };
}
