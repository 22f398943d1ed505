/**
 * Media sources: turn a media reference (http(s) URL, `data:` URI, bare base64, or a local path
 * under the configured roots) into bytes plus a content hash.
 *
 * Fetching is SSRF-safe (OWASP SSRF prevention cheat sheet):
 * - the address a name resolves to is checked (only public unicast passes, unless allowlisted)
 *   inside the socket's own `lookup`, so the connection goes to exactly the address that was
 *   checked: no DNS-rebinding window between check and connect;
 * - IP literals are checked before connecting (Node does not call `lookup` for them);
 * - redirects are followed by hand, each hop re-checked, at most `maxRedirects`;
 * - the response is bounded in bytes (Content-Length first, then while streaming) and in time.
 * Local files: only under `roots` (none by default), checked after resolving symlinks, so `..`
 * and symlinks that leave a root are refused.
 *
 * Every failure is a VlrerankError (VLR_MEDIA_FORBIDDEN / _FETCH / _TIMEOUT / _TOO_LARGE /
 * VLR_BAD_REQUEST), translated in `translateFetchError` (one place). Never decodes media.
 */
import { createHash } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { constants as fsConstants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ipaddr from 'ipaddr.js';
import { Agent, request, type Dispatcher } from 'undici';
import { isVlrerankError, vlrError, type VlrerankError } from '../../errors.js';

export interface MediaSourceOptions {
  /** Local folders paths may be read from; empty = no local files. */
  roots: readonly string[];
  /** Host names (exact, or `*.example.com`) and IPs/CIDRs allowed even though private/loopback. */
  allowHosts: readonly string[];
  maxBytes: number;
  fetchTimeoutMs: number;
  maxRedirects: number;
}

export type MediaOrigin = 'url' | 'data-uri' | 'base64' | 'path';

export interface MediaBytes {
  bytes: Buffer;
  /** sha256 of the bytes, hex. */
  contentHash: string;
  origin: MediaOrigin;
  /** Media type from the server / data URI, when given. */
  mime?: string;
  etag?: string;
  lastModified?: string;
  /** Final URL after redirects (url origin) or the resolved real path (path origin). */
  location?: string;
  /** Size and modification time of the file as read (path origin): a change detector for callers. */
  file?: { size: number; mtimeMs: number };
}

export interface ResolveOptions {
  /** Lower the byte limit for this call (e.g. videos have their own). */
  maxBytes?: number;
  signal?: AbortSignal;
  /**
   * Validators of a copy we already have (URLs only): sent as If-None-Match / If-Modified-Since;
   * a 304 answer resolves to `NOT_MODIFIED` without a body.
   */
  validators?: { etag?: string; lastModified?: string };
}

/** What `fetchUrl` answers when the server says our copy (per `validators`) is still current. */
export const NOT_MODIFIED = Object.freeze({ notModified: true as const });
export type NotModified = typeof NOT_MODIFIED;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What kind of reference a string is. Base64 JPEG starts with "/9j/", so "looks like a path" must not win on a leading slash alone. */
export function classifyRef(ref: string): MediaOrigin {
  if (/^https?:\/\//i.test(ref)) return 'url';
  if (/^data:/i.test(ref)) return 'data-uri';
  if (/^file:\/\//i.test(ref)) return 'path';
  const compact = ref.length > 64 ? ref.replace(/\s+/g, '') : ref;
  // Long, only base64 alphabet, no dot (paths to media files have an extension): base64.
  if (compact.length >= 64 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) return 'base64';
  return 'path';
}

// ---------------------------------------------------------------------------------------------
// Address policy

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

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

// ---------------------------------------------------------------------------------------------
// Errors: the one place undici / DNS / fs failures become vlrerank errors

export function translateFetchError(e: unknown, url: string, timedOut: boolean): VlrerankError {
  if (isVlrerankError(e)) return e;
  const cause = (e as { cause?: unknown })?.cause;
  if (isVlrerankError(cause)) return cause;
  const code = (e as { code?: string })?.code ?? (cause as { code?: string })?.code;
  const msg = e instanceof Error ? e.message : String(e);
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return vlrError('VLR_MEDIA_TIMEOUT', `fetching ${redactUrl(url)} timed out`, { cause: e });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return vlrError('VLR_MEDIA_FETCH', `cannot resolve the host of ${redactUrl(url)}`, { cause: e });
  return vlrError('VLR_MEDIA_FETCH', `fetching ${redactUrl(url)} failed: ${code ?? msg}`, { cause: e });
}

/** URLs in error messages without credentials or query strings (signed URLs carry secrets there). */
export function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    const q = url.search ? '?…' : '';
    url.search = '';
    return url.toString() + q;
  } catch {
    return u.length > 100 ? `${u.slice(0, 100)}…` : u;
  }
}

// ---------------------------------------------------------------------------------------------

export class MediaSource {
  readonly options: MediaSourceOptions;
  readonly policy: AddressPolicy;
  readonly #agent: Agent;
  #roots: Promise<string[]> | undefined;

  constructor(options: MediaSourceOptions) {
    this.options = options;
    this.policy = new AddressPolicy(options.allowHosts);
    const policy = this.policy;
    // The socket's own lookup: resolve, drop every refused address, connect only to a checked one.
    const lookup = (hostname: string, opts: { all?: boolean; family?: number }, cb: (err: Error | null, address?: string | LookupAddress[], family?: number) => void): void => {
      dnsLookup(hostname, { all: true, family: opts.family ?? 0 }, (err, addresses) => {
        if (err) return cb(err);
        const ok = addresses.filter((a) => !policy.refusal(a.address, hostname));
        if (ok.length === 0) {
          const why = addresses.map((a) => policy.refusal(a.address, hostname)).join('; ');
          return cb(vlrError('VLR_MEDIA_FORBIDDEN', `media host ${hostname} is not allowed: ${why} (allow it with media.allowHosts)`));
        }
        if (opts.all) cb(null, ok);
        else cb(null, ok[0]!.address, ok[0]!.family);
      });
    };
    this.#agent = new Agent({
      connect: { lookup: lookup as never, timeout: options.fetchTimeoutMs },
      headersTimeout: options.fetchTimeoutMs,
      bodyTimeout: options.fetchTimeoutMs,
      connections: 16,
    });
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  /** Resolve any media reference to bytes. */
  async resolve(ref: string, options: ResolveOptions = {}): Promise<MediaBytes> {
    const maxBytes = options.maxBytes ?? this.options.maxBytes;
    switch (classifyRef(ref)) {
      case 'url':
        return this.fetchUrl(ref, { maxBytes, signal: options.signal });
      case 'data-uri':
        return withHash(decodeDataUri(ref, maxBytes), 'data-uri');
      case 'base64':
        return withHash({ bytes: decodeBase64(ref, maxBytes) }, 'base64');
      case 'path':
        return this.readLocal(ref, maxBytes);
    }
  }

  // ---- http(s)

  /** Fetch a URL; with `validators`, a 304 answer gives NOT_MODIFIED (no body read). */
  async fetchUrl(startUrl: string, options: ResolveOptions & { maxBytes: number; validators: NonNullable<ResolveOptions['validators']> }): Promise<MediaBytes | NotModified>;
  async fetchUrl(startUrl: string, options: ResolveOptions & { maxBytes: number }): Promise<MediaBytes>;
  async fetchUrl(startUrl: string, options: ResolveOptions & { maxBytes: number }): Promise<MediaBytes | NotModified> {
    const conditional: Record<string, string> = {};
    if (options.validators?.etag) conditional['if-none-match'] = options.validators.etag;
    if (options.validators?.lastModified) conditional['if-modified-since'] = options.validators.lastModified;
    const timeout = AbortSignal.timeout(this.options.fetchTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let url = startUrl;
    for (let hop = 0; ; hop++) {
      const target = this.#checkUrl(url);
      let res: Dispatcher.ResponseData;
      try {
        res = await request(target, {
          method: 'GET',
          dispatcher: this.#agent,
          signal,
          headers: { 'user-agent': 'vlrerank-media/0.1', accept: 'image/*,video/*;q=0.9,*/*;q=0.5', ...conditional },
        });
      } catch (e) {
        throw translateFetchError(e, url, timeout.aborted);
      }
      const { statusCode, headers } = res;
      if (statusCode === 304 && options.validators) {
        discard(res.body);
        return NOT_MODIFIED;
      }
      if (statusCode >= 300 && statusCode < 400 && headers.location) {
        discard(res.body);
        if (hop >= this.options.maxRedirects) {
          throw vlrError('VLR_MEDIA_FETCH', `too many redirects fetching ${redactUrl(startUrl)} (limit ${this.options.maxRedirects})`);
        }
        url = new URL(String(headers.location), target).toString();
        continue;
      }
      if (statusCode < 200 || statusCode >= 300) {
        discard(res.body);
        throw vlrError('VLR_MEDIA_FETCH', `fetching ${redactUrl(url)} answered HTTP ${statusCode}`, { details: { media_status: statusCode } });
      }
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        discard(res.body);
        throw tooLarge(url, options.maxBytes, declared);
      }
      const bytes = await readBounded(res.body, options.maxBytes, url, () => timeout.aborted);
      return withHash(
        {
          bytes,
          mime: header(headers['content-type'])?.split(';')[0]?.trim(),
          etag: header(headers.etag),
          lastModified: header(headers['last-modified']),
          location: url,
        },
        'url',
      );
    }
  }

  /** Parse and check one hop's URL: scheme, credentials, and IP literals (Node skips `lookup` for those). */
  #checkUrl(raw: string): URL {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw vlrError('VLR_BAD_REQUEST', `media URL ${redactUrl(raw)} is not a valid URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw vlrError('VLR_MEDIA_FORBIDDEN', `media URL scheme ${u.protocol} is not allowed (http and https only)`);
    }
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    if (ipaddr.isValid(host)) {
      const why = this.policy.refusal(host);
      if (why) throw vlrError('VLR_MEDIA_FORBIDDEN', `media URL ${redactUrl(raw)} is not allowed: ${why} (allow it with media.allowHosts)`);
    }
    return u;
  }

  // ---- local files

  #realRoots(): Promise<string[]> {
    this.#roots ??= Promise.all(
      this.options.roots.map(async (r) => {
        try {
          return await realpath(resolve(r));
        } catch {
          return undefined; // a missing root allows nothing
        }
      }),
    ).then((rs) => rs.filter((r): r is string => r !== undefined));
    return this.#roots;
  }

  async readLocal(ref: string, maxBytes: number): Promise<MediaBytes> {
    const roots = await this.#realRoots();
    if (roots.length === 0) {
      throw vlrError('VLR_MEDIA_FORBIDDEN', 'local media paths are not allowed (no media.roots configured)');
    }
    let p = ref;
    if (/^file:\/\//i.test(p)) {
      try {
        p = fileURLToPath(p);
      } catch {
        throw vlrError('VLR_BAD_REQUEST', `media path ${ref} is not a valid file URL`);
      }
    }
    if (p.includes('\0')) throw vlrError('VLR_BAD_REQUEST', 'media path contains a NUL byte');
    // Absolute paths must lie in a root; relative ones are looked up in each root in order.
    const candidates = isAbsolute(p) ? [p] : roots.map((r) => resolve(r, p));
    let lastMissing = false;
    for (const c of candidates) {
      let real: string;
      try {
        real = await realpath(c);
      } catch {
        lastMissing = true;
        continue;
      }
      if (!roots.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep))) {
        throw vlrError('VLR_MEDIA_FORBIDDEN', `media path ${ref} is outside the allowed media roots`);
      }
      const { bytes, size, mtimeMs } = await readFileBounded(real, maxBytes, ref);
      return withHash({ bytes, location: real, file: { size, mtimeMs } }, 'path');
    }
    if (lastMissing) throw vlrError('VLR_NOT_FOUND', `media file ${ref} does not exist under the media roots`, { status: 404 });
    throw vlrError('VLR_MEDIA_FORBIDDEN', `media path ${ref} is outside the allowed media roots`);
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

/** Drop a response body we will not read; the listener keeps undici's abort error from going uncaught. */
function discard(body: { on(ev: 'error', fn: () => void): unknown; destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function tooLarge(what: string, max: number, got?: number): VlrerankError {
  return vlrError('VLR_MEDIA_TOO_LARGE', `media ${redactUrl(what)} is ${got !== undefined ? `${got} bytes, ` : ''}over the limit of ${max} bytes`, {
    details: { max_bytes: max },
  });
}

function withHash(m: Omit<MediaBytes, 'contentHash' | 'origin'>, origin: MediaOrigin): MediaBytes {
  return { ...m, origin, contentHash: sha256Hex(m.bytes) };
}

async function readBounded(body: Dispatcher.ResponseData['body'], max: number, url: string, timedOut: () => boolean): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of body) {
      n += chunk.length;
      if (n > max) {
        discard(body);
        throw tooLarge(url, max);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    throw translateFetchError(e, url, timedOut());
  }
  return Buffer.concat(chunks, n);
}

async function readFileBounded(real: string, max: number, ref: string): Promise<{ bytes: Buffer; size: number; mtimeMs: number }> {
  let fh;
  try {
    // O_NOFOLLOW: if the last component was swapped for a symlink after realpath(), refuse.
    fh = await open(real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (e) {
    throw vlrError('VLR_MEDIA_FORBIDDEN', `media path ${ref} cannot be opened`, { cause: e });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw vlrError('VLR_BAD_REQUEST', `media path ${ref} is not a regular file`);
    if (st.size > max) throw tooLarge(ref, max, st.size);
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await fh.read(buf, 0, st.size, 0);
    return { bytes: buf.subarray(0, bytesRead), size: st.size, mtimeMs: st.mtimeMs };
  } finally {
    await fh.close();
  }
}

/** RFC 2397 `data:[<mediatype>][;base64],<data>`. */
export function decodeDataUri(uri: string, maxBytes: number): { bytes: Buffer; mime?: string } {
  const comma = uri.indexOf(',');
  if (comma < 0) throw vlrError('VLR_BAD_REQUEST', 'data: URI has no comma');
  const meta = uri.slice(5, comma);
  const payload = uri.slice(comma + 1);
  const parts = meta.split(';');
  const isBase64 = parts.some((p) => p.toLowerCase() === 'base64');
  const mime = parts[0]?.trim() || undefined;
  if (isBase64) return { bytes: decodeBase64(payload, maxBytes), mime };
  if (payload.length > maxBytes * 3) throw tooLarge('data: URI', maxBytes);
  let bytes: Buffer;
  try {
    bytes = Buffer.from(decodeURIComponent(payload), 'latin1');
  } catch {
    throw vlrError('VLR_BAD_REQUEST', 'data: URI has invalid percent-encoding');
  }
  if (bytes.length > maxBytes) throw tooLarge('data: URI', maxBytes, bytes.length);
  return { bytes, mime };
}

/** Strict base64 / base64url: refuses stray characters instead of skipping them as Buffer.from does. */
export function decodeBase64(text: string, maxBytes: number): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (Math.floor((compact.length * 3) / 4) > maxBytes + 3) throw tooLarge('base64 media', maxBytes);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) throw vlrError('VLR_BAD_REQUEST', 'media is neither a URL, a data: URI, a path nor valid base64');
  const bytes = Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
  if (bytes.length === 0) throw vlrError('VLR_BAD_REQUEST', 'base64 media is empty');
  if (bytes.length > maxBytes) throw tooLarge('base64 media', maxBytes, bytes.length);
  return bytes;
}
