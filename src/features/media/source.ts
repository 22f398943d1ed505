/**
 * Media sources: turn a media reference (http(s) URL, `data:` URI, bare base64, or a local path
 * under the configured roots) into bytes plus a content hash.
 *
 * Fetching is SSRF-safe (OWASP SSRF prevention cheat sheet):
 * - the address a name resolves to is checked (only public unicast passes, unless allowlisted)
 *   inside the socket's own `lookup`, so the connection goes to exactly the address that was
 *   checked: no DNS-rebinding window between check and connect;
 * - IP literals are checked before connecting (Node does not call `lookup` for them);
 * - through an egress proxy (proxy.ts: `media.proxy`, HTTPS_PROXY/HTTP_PROXY, NO_PROXY) the socket's
 *   peer is the proxy: each hop's host is resolved and checked here before the proxy is asked — the
 *   proxy resolves it again, a DNS-rebinding window the proxy's own egress rules must close;
 * - redirects are followed by hand, each hop re-checked, at most `maxRedirects`;
 * - the response is bounded in bytes (Content-Length first, then while streaming) and in time.
 * One fetch per URL across concurrent asks (flights.ts), its bytes kept a few seconds for the asks
 * that follow (recent.ts). Which addresses pass is address-policy.ts; inline media is decoded by inline.ts; local files
 * are read only under `roots` (none by default) by the rule of local.ts.
 *
 * Every failure is a VlrerankError (VLR_MEDIA_FORBIDDEN / _FETCH / _TIMEOUT / _TOO_LARGE /
 * VLR_BAD_REQUEST), translated in errors.ts (one place). Never decodes media.
 */
import { createHash } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup as lookupAll } from 'node:dns/promises';
import { fileURLToPath } from 'node:url';
import ipaddr from 'ipaddr.js';
import { Agent, request, type Dispatcher } from 'undici';
import { isVlrerankError, vlrError } from '../../errors.js';
import { untilAborted } from '../../util/abort.js';
import { AddressPolicy, hostOf } from './address-policy.js';
import { decodeContent, discard, readBounded } from './body.js';
import { redactUrl, tooLarge, translateFetchError } from './errors.js';
import { Flights } from './flights.js';
import { MediaProxies, translateProxiedError, type MediaProxySetting } from './proxy.js';
import { RecentFailures, RecentFetches } from './recent.js';
import { decodeBase64, decodeDataUri } from './inline.js';
import { findUnderRealRoots, hashOpenFile, openFileBounded, readFileBounded, realRoots } from './local.js';
import type { FileHandle } from 'node:fs/promises';

export interface MediaSourceOptions {
  /** Local folders paths may be read from; empty = no local files. */
  roots: readonly string[];
  /** Host names (exact, or `*.example.com`) and IPs/CIDRs allowed even though private/loopback. */
  allowHosts: readonly string[];
  maxBytes: number;
  fetchTimeoutMs: number;
  maxRedirects: number;
  /** How long a URL's fetched bytes are kept for the asks that follow (recent.ts; default 10 s, 0: not kept). */
  keepFetchedMs?: number;
  /** Bytes of recent fetches kept in all (default 64 MiB). */
  keepFetchedBytes?: number;
  /** How long a URL's failed fetch is answered without asking its host again (recent.ts; default 10 s, 0: never). */
  keepFailedMs?: number;
  /** Egress proxy for media URLs (proxy.ts): one URL for both schemes, or one per scheme; unset: direct. */
  proxy?: MediaProxySetting;
  /** Hosts, domains, IPs, CIDRs (`:port` optional) or `*` fetched directly although a proxy is set. */
  noProxy?: readonly string[];
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
  file?: { size: number; mtimeMs: number; ctimeMs?: number };
}

/** A local file open for a reader that takes it as a file (openLocal): what MediaBytes says of it, without its bytes. */
export type LocalFile = Omit<MediaBytes, 'bytes'> & { fh: FileHandle; origin: 'path'; location: string; file: { size: number; mtimeMs: number; ctimeMs?: number } };

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
const NOT_MODIFIED = Object.freeze({ notModified: true as const });
export type NotModified = typeof NOT_MODIFIED;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The longest path a file system takes (Linux's PATH_MAX; macOS's is 1024): a longer reference is no path. */
const PATH_MAX = 4096;

/** Whether bytes open as a photo or clip we read or name (JPEG, PNG, GIF, RIFF/WebP, TIFF, ISO BMFF, Matroska). */
function opensAsMedia(b: Buffer): boolean {
  const at = (s: string, i = 0) => b.toString('latin1', i, i + s.length) === s;
  return (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) || at('\x89PNG') || at('GIF8') || at('RIFF') || at('II*\0') || at('MM\0*') || at('ftyp', 4) || at('\x1a\x45\xdf\xa3');
}

/**
 * What kind of reference a string is. Base64 JPEG starts with "/9j/", so "looks like a path" must
 * not win on a leading slash alone. Held-out probe round 27b: a shopper's base64 photo damaged on
 * the way (one stray character, extra padding, percent-encoded by a form) was read as a path — a
 * 403 "outside the media roots" or a 404 echoing the whole payload — and a tiny photo's base64 under
 * 64 characters too: a reference longer than any path, or whose first bytes decode to a media
 * format's signature and that ends in no file extension, is base64 (its decoding then says what is
 * wrong with it).
 */
export function classifyRef(ref: string): MediaOrigin {
  if (/^https?:\/\//i.test(ref)) return 'url';
  if (/^data:/i.test(ref)) return 'data-uri';
  if (/^file:\/\//i.test(ref)) return 'path';
  if (ref.length > PATH_MAX) return 'base64';
  const compact = ref.length > 64 ? ref.replace(/\s+/g, '') : ref;
  // Long, only base64 alphabet, no dot (paths to media files have an extension): base64.
  if (compact.length >= 64 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) return 'base64';
  // Shorter, or damaged: base64 when it opens as a media format's bytes and ends in no file extension.
  if (/^[A-Za-z0-9+/_-]{16}/.test(compact) && !/\.\w{1,5}$/.test(compact) && opensAsMedia(Buffer.from(compact.slice(0, 16), 'base64'))) return 'base64';
  return 'path';
}

// ---------------------------------------------------------------------------------------------

/** How a refused host is allowed, in both places a caller can set it: the server's configuration and the library's `process()` (held-out probe round 11b: a library user was told only the server's setting). */
const ALLOW_HINT = ' (allow it with media.allowHosts in the server configuration, or mediaAllowHosts in the library\'s Reranker options)';

export class MediaSource {
  readonly options: MediaSourceOptions;
  readonly policy: AddressPolicy;
  readonly #agent: Agent;
  readonly #proxies: MediaProxies;
  /** Fetches under way, by URL, byte limit and validators: one per URL across concurrent requests. */
  readonly #flights = new Flights<MediaBytes | NotModified>();
  /** Bytes fetched in the last seconds, by URL and byte limit: the asks that follow at once fetch nothing. */
  readonly #recent: RecentFetches<MediaBytes>;
  /** URLs whose fetch failed in the last seconds: the asks that follow get that failure, the host is not asked again. */
  readonly #failed: RecentFailures;
  #roots: Promise<string[]> | undefined;

  constructor(options: MediaSourceOptions) {
    this.options = options;
    this.policy = new AddressPolicy(options.allowHosts);
    this.#recent = new RecentFetches({ keepMs: options.keepFetchedMs ?? 10_000, maxBytes: options.keepFetchedBytes ?? 64 * 1024 * 1024 });
    this.#failed = new RecentFailures(options.keepFailedMs ?? 10_000);
    const policy = this.policy;
    // The socket's own lookup: resolve, drop every refused address, connect only to a checked one.
    const lookup = (hostname: string, opts: { all?: boolean; family?: number }, cb: (err: Error | null, address?: string | LookupAddress[], family?: number) => void): void => {
      dnsLookup(hostname, { all: true, family: opts.family ?? 0 }, (err, addresses) => {
        if (err) return cb(err);
        const ok = addresses.filter((a) => !policy.refusal(a.address, hostname));
        if (ok.length === 0) {
          const why = policy.nameRefusal(hostname, addresses.map((a) => a.address));
          return cb(vlrError('VLR_MEDIA_FORBIDDEN', `media host ${hostname} is not allowed: ${why}${ALLOW_HINT}`));
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
    this.#proxies = new MediaProxies(options.proxy, options.noProxy ?? [], options.fetchTimeoutMs);
  }

  async close(): Promise<void> {
    await Promise.all([this.#agent.close(), this.#proxies.close()]);
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

  /**
   * Fetch a URL; with `validators`, a 304 answer gives NOT_MODIFIED (no body read). Concurrent
   * fetches of one URL (same byte limit and validators) are one fetch (flights.ts), its bytes shared;
   * bytes fetched in the last seconds (recent.ts) are answered as they are, validators or not.
   */
  async fetchUrl(startUrl: string, options: ResolveOptions & { maxBytes: number; validators: NonNullable<ResolveOptions['validators']> }): Promise<MediaBytes | NotModified>;
  async fetchUrl(startUrl: string, options: ResolveOptions & { maxBytes: number }): Promise<MediaBytes>;
  async fetchUrl(startUrl: string, options: ResolveOptions & { maxBytes: number }): Promise<MediaBytes | NotModified> {
    const key = recentKey(startUrl, options.maxBytes);
    const kept = this.#recent.get(key);
    if (kept) {
      options.signal?.throwIfAborted();
      return kept;
    }
    const failed = this.#failed.get(key);
    if (failed) {
      options.signal?.throwIfAborted();
      throw failed;
    }
    return this.#flights.run(flightKey(startUrl, options), options.signal, (signal) =>
      this.#fetch(startUrl, { ...options, signal }).catch((e: unknown) => {
        // the host's failure, not every caller gone (the flight's own signal aborted)
        if (!signal.aborted) this.#failed.keep(key, e);
        throw e;
      }),
    );
  }

  /**
   * Would this source fetch URL `raw` at all — its scheme, an IP literal, the addresses its name
   * resolves to (an allowlisted name is not resolved) — without fetching it: for a URL handed to
   * someone else to fetch. A remote rerank worker was given any URL a client sent, so a client
   * steered it (vLLM fetches whatever it is given) at loopback, private and metadata addresses this
   * process refuses, and read their photos' content back as scores (held-out probe round 25a). The
   * fetcher still follows redirects and resolves the name again on its own: its own rules must hold there.
   */
  async checkUrl(raw: string, before: string, signal?: AbortSignal): Promise<void> {
    await this.#checkProxiedTarget(this.#checkUrl(raw), signal ?? new AbortController().signal, before);
  }

  /**
   * A fetch of `ref` under way for another caller, joined (its bytes shared), or undefined: a read
   * that joins one holds no network slot of its own (media-slots.ts) — it adds no connection and no
   * bytes. Only for URLs, with resolve()'s byte limit.
   */
  joinFetch(ref: string, options: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<MediaBytes> | undefined {
    if (classifyRef(ref) !== 'url') return undefined;
    const key = recentKey(ref, options.maxBytes ?? this.options.maxBytes);
    const kept = this.#recent.get(key);
    if (kept && !options.signal?.aborted) return Promise.resolve(kept);
    const failed = options.signal?.aborted ? undefined : this.#failed.get(key);
    if (failed) return Promise.reject(failed);
    return this.#flights.join(flightKey(ref, { maxBytes: options.maxBytes ?? this.options.maxBytes }), options.signal) as Promise<MediaBytes> | undefined;
  }

  async #fetch(startUrl: string, options: ResolveOptions & { maxBytes: number }): Promise<MediaBytes | NotModified> {
    const conditional: Record<string, string> = {};
    if (options.validators?.etag) conditional['if-none-match'] = options.validators.etag;
    if (options.validators?.lastModified) conditional['if-modified-since'] = options.validators.lastModified;
    const timeout = AbortSignal.timeout(this.options.fetchTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let url = startUrl;
    for (let hop = 0; ; hop++) {
      const target = this.#checkUrl(url);
      const proxy = this.#proxies.proxyFor(target);
      // through a proxy the socket's peer is the proxy: the target is resolved and checked here, before the proxy is asked
      if (proxy) await this.#checkProxiedTarget(target, signal);
      let res: Dispatcher.ResponseData;
      try {
        res = await request(target, {
          method: 'GET',
          dispatcher: proxy ? this.#proxies.agent(proxy) : this.#agent,
          signal,
          headers: { 'user-agent': 'vlrerank-media/0.1', accept: 'image/*,video/*;q=0.9,*/*;q=0.5', ...conditional },
        });
      } catch (e) {
        throw proxy ? translateProxiedError(e, url, proxy, timeout.aborted) : translateFetchError(e, url, timeout.aborted);
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
        // a Location that is no URL (`http://[::1`) was a TypeError: the document's error an "internal error"
        const next = URL.parse(String(headers.location), target);
        if (!next) throw vlrError('VLR_MEDIA_FETCH', `fetching ${redactUrl(url)} answered HTTP ${statusCode} with a Location that is not a valid URL`, { details: { media_status: statusCode } });
        url = next.toString();
        continue;
      }
      if (statusCode < 200 || statusCode >= 300) {
        discard(res.body);
        // a throttling or unavailable host says when to come back (429/503 Retry-After): the client is told, not left to guess
        const ra = statusCode === 429 || statusCode === 503 ? header(headers['retry-after']) : undefined;
        const retryAfter = ra && /^[\w ,:-]{1,40}$/.test(ra) ? ra : undefined; // seconds or an HTTP date, nothing else echoed
        // through an absolute-form proxy request, a 403 or 502 may be the proxy's as well as the host's: both are named
        const via = proxy ? ` (through the egress proxy ${redactUrl(proxy)}: its answer or the host's)` : '';
        throw vlrError('VLR_MEDIA_FETCH', `fetching ${redactUrl(url)} answered HTTP ${statusCode}${retryAfter ? ` (Retry-After: ${retryAfter})` : ''}${via}`, { details: { media_status: statusCode, ...(retryAfter ? { retry_after: retryAfter } : {}) } });
      }
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        discard(res.body);
        throw tooLarge(url, options.maxBytes, declared);
      }
      const bytes = await decodeContent(await readBounded(res.body, options.maxBytes, url, () => timeout.aborted), header(headers['content-encoding']), options.maxBytes, url);
      const m = withHash({ bytes, mime: header(headers['content-type'])?.split(';')[0]?.trim(), etag: header(headers.etag), lastModified: strongLastModified(header(headers['last-modified']), header(headers.date)), location: url }, 'url');
      this.#recent.keep(recentKey(startUrl, options.maxBytes), m, header(headers['cache-control']), { age: header(headers.age), expires: header(headers.expires), date: header(headers.date) });
      return m;
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
    const host = hostOf(u);
    if (ipaddr.isValid(host)) {
      const why = this.policy.refusal(host);
      if (why) throw vlrError('VLR_MEDIA_FORBIDDEN', `media URL ${redactUrl(raw)} is not allowed: ${why}${ALLOW_HINT}`);
    }
    return u;
  }

  /**
   * A proxied hop's target, checked before the proxy is asked: an IP literal was checked by
   * #checkUrl; a name is resolved here and refused when **any** of its addresses is refused (the
   * proxy may connect to any of them). An allowlisted name is not resolved (the proxy resolves it).
   * The proxy resolves the name again: a DNS answer that changes between the two (rebinding) is
   * not seen here — the proxy's own egress rules must refuse private targets too (DEPLOYMENT.md).
   */
  async #checkProxiedTarget(target: URL, signal: AbortSignal, before = 'asking the egress proxy'): Promise<void> {
    const host = hostOf(target);
    if (ipaddr.isValid(host) || this.policy.hostAllowed(host)) return;
    let addresses: LookupAddress[];
    try {
      addresses = await untilAborted(lookupAll(host, { all: true }), signal);
    } catch (e) {
      if (isVlrerankError(e)) throw e;
      if (signal.aborted) throw vlrError('VLR_MEDIA_TIMEOUT', `fetching ${redactUrl(target.href)} timed out resolving its host`, { cause: e });
      const code = (e as { code?: string }).code ?? String(e);
      throw vlrError('VLR_MEDIA_FETCH', `cannot resolve the host of ${redactUrl(target.href)} (${code}) to check it before ${before}; a host only ${before === 'asking the egress proxy' ? 'the proxy' : 'it'} can resolve is fetched once allowed by name${ALLOW_HINT}`, { cause: e });
    }
    const refused = this.policy.nameRefusal(host, addresses.map((a) => a.address));
    if (refused !== undefined) {
      throw vlrError('VLR_MEDIA_FORBIDDEN', `media host ${host} is not allowed: ${refused} (checked before ${before})${ALLOW_HINT}`);
    }
  }

  // ---- local files

  #realRoots(): Promise<string[]> {
    // resolved once: the roots are configuration, and a per-read realpath of each would cost syscalls
    this.#roots ??= realRoots(this.options.roots);
    return this.#roots;
  }

  async readLocal(ref: string, maxBytes: number): Promise<MediaBytes> {
    const real = await this.localPath(ref);
    const { bytes, size, mtimeMs, ctimeMs } = await readFileBounded(real, maxBytes, ref);
    return withHash({ bytes, location: real, file: { size, mtimeMs, ctimeMs } }, 'path');
  }

  /**
   * A local file opened (after the roots and symlink checks, O_NOFOLLOW: no check-then-open
   * window) and hashed a MiB at a time, its bytes never held: for a decoder that reads the file
   * itself (a long video handed to ffmpeg as this open file — it was read whole into memory and
   * copied to a temporary file to be sought, held-out probe round 22d). The caller closes it.
   */
  async openLocal(ref: string, maxBytes: number): Promise<LocalFile> {
    const real = await this.localPath(ref);
    const { fh, size, mtimeMs, ctimeMs } = await openFileBounded(real, maxBytes, ref);
    try {
      return { fh, contentHash: await hashOpenFile(fh, size), origin: 'path', location: real, file: { size, mtimeMs, ctimeMs } };
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** The real path of a local reference, checked against the roots, without reading it. */
  async localPath(ref: string): Promise<string> {
    const roots = await this.#realRoots();
    let p = ref;
    if (roots.length > 0 && /^file:\/\//i.test(p)) {
      try {
        p = fileURLToPath(p);
      } catch {
        throw vlrError('VLR_BAD_REQUEST', `media path ${ref} is not a valid file URL`);
      }
    }
    return findUnderRealRoots(p, roots, ref);
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

/** What makes two fetches of a URL the same fetch: the URL, the byte limit, the validators sent. */
function flightKey(url: string, o: { maxBytes: number; validators?: ResolveOptions['validators'] }): string {
  return `${url}\0${o.maxBytes}\0${o.validators?.etag ?? ''}\0${o.validators?.lastModified ?? ''}`;
}

/** What makes a kept fetch answer an ask: the URL and the byte limit (validators need no round trip: the bytes are in hand). */
const recentKey = (url: string, maxBytes: number) => `${url}\0${maxBytes}`;

/**
 * A Last-Modified a later If-Modified-Since may trust (RFC 9110 §8.8.2.2): only one at least a
 * second older than the answer's Date — else the object may change again within the same second,
 * keep its Last-Modified, and a 304 would give the old copy's features to the new bytes (held-out
 * probe round 14d: a photo replaced the second it was served kept its old features). The Date is
 * the host's clock: a host whose clock runs ahead of the one that stamped the object (a day ahead
 * in held-out probe round 16b) made every Last-Modified look old, and a photo replaced the second it
 * was served again kept its old features — so it must also be a second older than the time the
 * answer arrived here (§8.8.2.2 lets a client use its own clock when the server's is in doubt). A
 * clock here behind theirs only trusts less (a whole download, never old features); without a
 * Date, our clock alone decides.
 */
function strongLastModified(lastModified: string | undefined, date: string | undefined, receivedAt = Date.now()): string | undefined {
  if (!lastModified) return undefined;
  const lm = Date.parse(lastModified);
  const served = date === undefined ? receivedAt : Math.min(Date.parse(date), receivedAt);
  return Number.isFinite(lm) && Number.isFinite(served) && served - lm >= 1000 ? lastModified : undefined;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function withHash(m: Omit<MediaBytes, 'contentHash' | 'origin'>, origin: MediaOrigin): MediaBytes {
  return { ...m, origin, contentHash: sha256Hex(m.bytes) };
}
