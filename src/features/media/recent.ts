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
