/**
 * Media fetches through an egress proxy (fix19c; held-out probe round 14d left it): which proxy a
 * URL goes through (`media.proxy`, else HTTPS_PROXY / HTTP_PROXY as config/load.ts read them), the
 * NO_PROXY rule, undici's ProxyAgent per proxy, and the proxy's failures as named media errors.
 *
 * - `https://` media go through CONNECT (TLS end to end: the proxy sees only the host and port);
 *   `http://` media through the proxy's absolute-form request (`GET http://host/path`), as curl does.
 * - NO_PROXY as curl reads it: a comma- or space-separated list of host names (a name matches itself
 *   and its subdomains; a leading `.` or `*.` is dropped), IP addresses, CIDRs (`10.0.0.0/8`, matched
 *   against IP literals only: names are not resolved to decide), an optional `:port` on any of them
 *   (`[::1]:8080` for IPv6), and `*` alone for every host.
 * - The proxy's own address is the operator's and is never checked against the SSRF guard: the
 *   guard's check of the target is source.ts's, made before the proxy is asked.
 * - Credentials in a proxy URL are sent as `Proxy-Authorization: Basic` and never appear in a message.
 * Never resolves names or checks addresses itself.
 */
import ipaddr from 'ipaddr.js';
import { Pool, ProxyAgent } from 'undici';
import { isVlrerankError, vlrError, type VlrerankError } from '../../errors.js';
import { hostOf } from './address-policy.js';
import { redactUrl, translateFetchError } from './errors.js';

/** A proxy for both schemes, or one per scheme (an https URL falls back to the http proxy, as undici's EnvHttpProxyAgent does). */
export type MediaProxySetting = string | { http?: string; https?: string };

interface NoProxyEntry {
  host?: string;
  cidr?: [ipaddr.IPv4 | ipaddr.IPv6, number];
  port?: number;
}

export class MediaProxies {
  readonly #byScheme: { 'http:'?: string; 'https:'?: string };
  readonly #agents = new Map<string, ProxyAgent>();
  readonly #noProxy: NoProxyEntry[] = [];
  #all = false;
  readonly #timeoutMs: number;

  constructor(setting: MediaProxySetting | undefined, noProxy: readonly string[], timeoutMs: number) {
    const http = typeof setting === 'string' ? setting : setting?.http;
    const https = typeof setting === 'string' ? setting : (setting?.https ?? setting?.http);
    this.#byScheme = { 'http:': http || undefined, 'https:': https || undefined };
    this.#timeoutMs = timeoutMs;
    for (const raw of noProxy) this.#addNoProxy(raw);
  }

  /** Whether any proxy is set (else every fetch goes direct, as before). */
  get configured(): boolean {
    return Boolean(this.#byScheme['http:'] || this.#byScheme['https:']);
  }

  /** The proxy URL a target goes through, or undefined when it goes direct (no proxy for its scheme, or NO_PROXY). */
  proxyFor(target: URL): string | undefined {
    const proxy = this.#byScheme[target.protocol as 'http:' | 'https:'];
    if (!proxy || this.#bypassed(target)) return undefined;
    return proxy;
  }

  /** undici's ProxyAgent for a proxy URL, one per proxy, made at first use. */
  agent(proxy: string): ProxyAgent {
    let agent = this.#agents.get(proxy);
    if (!agent) {
      const t = this.#timeoutMs;
      agent = new ProxyAgent({
        uri: proxy,
        // http:// media as the proxy's absolute-form request (undici tunnels everything by default)
        proxyTunnel: false,
        proxyTls: { timeout: t },
        requestTls: { timeout: t },
        headersTimeout: t,
        bodyTimeout: t,
        connections: 16,
        // the connection to the proxy (its CONNECT answers too) under the same time limits as the media
        clientFactory: (origin, opts) => new Pool(origin, { ...opts, headersTimeout: t, bodyTimeout: t }),
      });
      this.#agents.set(proxy, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#agents.values()].map((a) => a.close()));
  }

  #bypassed(target: URL): boolean {
    if (this.#all) return true;
    const host = hostOf(target).toLowerCase().replace(/\.$/, '');
    const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
    const ip = ipaddr.isValid(host) ? ipaddr.process(host) : undefined;
    return this.#noProxy.some((e) => {
      if (e.port !== undefined && e.port !== port) return false;
      if (e.cidr) return ip !== undefined && ip.kind() === e.cidr[0].kind() && ip.match(e.cidr);
      return host === e.host || host.endsWith(`.${e.host}`);
    });
  }

  #addNoProxy(raw: string): void {
    for (const part of raw.split(/[,\s]+/)) {
      let entry = part.trim().toLowerCase();
      if (!entry) continue;
      if (entry === '*') {
        this.#all = true;
        continue;
      }
      let port: number | undefined;
      const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
      if (bracketed) {
        entry = bracketed[1]!;
        port = bracketed[2] ? Number(bracketed[2]) : undefined;
      } else {
        const withPort = /^([^:]+):(\d+)$/.exec(entry); // a bare IPv6 address has more than one colon: no port
        if (withPort) {
          entry = withPort[1]!;
          port = Number(withPort[2]);
        }
      }
      if (entry.includes('/')) {
        try {
          const [net, bits] = ipaddr.parseCIDR(entry);
          this.#noProxy.push({ cidr: net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96 ? [(net as ipaddr.IPv6).toIPv4Address(), bits - 96] : [net, bits], port });
        } catch {
          throw vlrError('VLR_CONFIG_INVALID', `media.noProxy / NO_PROXY: "${part}" is not a valid CIDR`);
        }
      } else if (ipaddr.isValid(entry)) {
        const a = ipaddr.process(entry);
        this.#noProxy.push({ cidr: [a, a.kind() === 'ipv4' ? 32 : 128], port });
      } else {
        this.#noProxy.push({ host: entry.replace(/^\*?\./, '').replace(/\.$/, ''), port });
      }
    }
  }
}

/** Connection failures that, on a proxied fetch, can only be the proxy's: ours is the only connection made. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * A proxied fetch's failure as a named media error: the proxy's refusal (its status, 407 with where
 * its credentials come from), the proxy down or too slow — each saying "egress proxy" and naming it
 * without its credentials; any other failure says it went through the proxy.
 */
export function translateProxiedError(e: unknown, url: string, proxy: string, timedOut: boolean): VlrerankError {
  if (isVlrerankError(e)) return e;
  const via = `the egress proxy ${redactUrl(proxy)}`;
  const msg = e instanceof Error ? e.message : String(e);
  const cause = (e as { cause?: unknown })?.cause;
  const code = (e as { code?: string })?.code ?? (cause as { code?: string })?.code;
  // undici: a CONNECT answered other than 200 ("Proxy response (403) !== 200 when HTTP Tunneling"); an absolute-form request's 407
  const refused = /Proxy response \((\d{3})\)/.exec(msg) ?? /Proxy Authentication Required \((407)\)/.exec(msg);
  if (refused) {
    const status = Number(refused[1]);
    const hint = status === 407 ? ' (Proxy Authentication Required: check the user and password of media.proxy, or HTTPS_PROXY / HTTP_PROXY)' : '';
    return vlrError('VLR_MEDIA_FETCH', `fetching ${redactUrl(url)}: ${via} refused it with HTTP ${status}${hint}`, { details: { proxy_status: status } });
  }
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return vlrError('VLR_MEDIA_TIMEOUT', `fetching ${redactUrl(url)} through ${via} timed out`, { cause: e });
  }
  if (code && UNREACHABLE.has(code)) {
    return vlrError('VLR_MEDIA_FETCH', `fetching ${redactUrl(url)}: ${via} cannot be reached (${code})`, { cause: e, details: { proxy_error: code } });
  }
  const plain = translateFetchError(e, url, timedOut);
  return vlrError(plain.code, `${plain.message} (through ${via})`, { cause: plain.cause, details: plain.details });
}
