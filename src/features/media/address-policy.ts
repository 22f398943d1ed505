/**
 * Which network addresses media may be fetched from (OWASP SSRF prevention cheat sheet): only
 * ordinary public unicast, unless the host name, IP or CIDR is allowlisted (`media.allowHosts`).
 * IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry. The media source asks it
 * inside the socket's own DNS lookup and for IP literals before connecting.
 * Never resolves names or connects itself.
 */
import ipaddr from 'ipaddr.js';
import { vlrError } from '../../errors.js';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** A URL's host as the policy and resolvers read it: an IPv6 literal without its brackets. */
export function hostOf(u: URL): string {
  return u.hostname.replace(/^\[(.*)\]$/, '$1');
}

export class AddressPolicy {
  readonly #hosts: string[] = [];
  readonly #wildcards: string[] = [];
  readonly #cidrs: Cidr[] = [];

  constructor(allowHosts: readonly string[]) {
    for (const raw of allowHosts) {
      const entry = raw.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
      if (!entry) continue;
      if (entry.includes('/')) {
        try {
          this.#cidrs.push(normaliseCidr(ipaddr.parseCIDR(entry)));
        } catch {
          throw vlrError('VLR_CONFIG_INVALID', `media.allowHosts: "${raw}" is not a valid CIDR`);
        }
      } else if (ipaddr.isValid(entry)) {
        const a = ipaddr.process(entry);
        this.#cidrs.push([a, a.kind() === 'ipv4' ? 32 : 128]);
      } else if (entry.startsWith('*.')) {
        this.#wildcards.push(entry.slice(1)); // ".example.com"
      } else {
        this.#hosts.push(entry);
      }
    }
  }

  /** The host name itself is allowlisted: any address it resolves to is accepted. */
  hostAllowed(hostname: string): boolean {
    const h = hostname.toLowerCase().replace(/\.$/, '');
    return this.#hosts.includes(h) || this.#wildcards.some((w) => h.endsWith(w));
  }

  /** Why an address is refused, or undefined when it may be connected to. */
  refusal(address: string, hostname?: string): string | undefined {
    if (hostname && this.hostAllowed(hostname)) return undefined;
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      ip = ipaddr.process(address); // unwraps IPv4-mapped IPv6 (::ffff:127.0.0.1)
    } catch {
      return `unparseable address ${address}`;
    }
    for (const [net, bits] of this.#cidrs) {
      if (net.kind() === ip.kind() && ip.match(net, bits)) return undefined;
    }
    const range = ip.range();
    // Only ordinary public unicast: this refuses private, loopback, linkLocal (169.254.169.254 metadata),
    // uniqueLocal, carrierGradeNat, multicast, unspecified, broadcast, reserved, and the IPv6 ranges that
    // embed an IPv4 address (6to4, teredo, rfc6052/NAT64, rfc6145).
    if (range !== 'unicast') return `${address} is a ${range} address`;
    return undefined;
  }
}

function normaliseCidr([net, bits]: [ipaddr.IPv4 | ipaddr.IPv6, number]): Cidr {
  if (net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(net as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [net, bits];
}
