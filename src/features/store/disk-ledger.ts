/**
 * The disk tier's books (disk-tier.ts), over its open LMDB databases: the byte counter kept in the
 * store itself, each entry's access stamp (by key, and by stamp in the `age` index), eviction of the
 * oldest entries past the budget or past the pages the B-trees may use (fix17), and the stamp pass
 * that refreshes the entries read. One per open environment; DiskTier owns the environment, its
 * transactions and its failures, and calls these inside its write transactions where said. Never
 * throws on its own account (lmdb's errors go to DiskTier's transaction).
 */
import type { Database } from 'lmdb';
import type { FileMemo, UrlMemo } from './tier.js';

/** A read refreshes an entry's access stamp at most this often. */
const STAMP_REFRESH_MS = 10 * 60_000;
/** Eviction goes down to this share of the budget, so it runs in batches, not at every write. */
const EVICT_TO = 0.9;
/** A memo entry's stamp key: MEMO + real path (a feature key starts with its kind, a word; no NUL: lmdb's compound keys end strings with one). */
export const MEMO = '@memo|';
/** What a memo entry is counted for beside its key: the encoded size, mtime and content hash. */
export const MEMO_VALUE_BYTES = 128;

/** Pages in use are kept under this share of the budget: the rest is the room copy-on-write needs (see #pagesInUse). */
const PAGES_SHARE = 0.4;
/** …but never below this many bytes of pages: an empty store's trees take a few pages whatever the budget. */
const PAGES_FLOOR = 64 * 4096;
interface LmdbStats { pageSize: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number }

/** An entry's access stamp (ms; 0: an older version's memo entry, counted at open) and counted size. */
export interface Stamp { t: number; n: number }

/** One entry of a write transaction: its key, counted size, and the put that stores its value. */
export interface Entry { key: string; n: number; put: () => void }

/** The databases of one open store (features.mdb). */
export interface DiskDbs {
  values: Database<Buffer, string>;
  stamps: Database<Stamp, string>;
  age: Database<number, [number, string]>;
  meta: Database<number, string>;
  memo: Database<FileMemo | UrlMemo, string>;
}

export class DiskLedger {
  /** Bytes of B-tree pages kept at most (PAGES_SHARE of the budget, at least PAGES_FLOOR): see #pagesInUse. */
  readonly #maxPageBytes: number;

  /**
   * `touched`: the stamp of the last access seen per key in this process (saves a stamp read per
   * hit), owned by the tier (cleared when it reopens or breaks), kept up to date here.
   */
  constructor(
    private readonly db: DiskDbs,
    private readonly maxBytes: number,
    private readonly touched: Map<string, number>,
  ) {
    this.#maxPageBytes = Math.max(PAGES_FLOOR, maxBytes * PAGES_SHARE);
  }

  /** Inside a write transaction: each entry `put`, stamped under its key (its size `n` counted); eviction past the budget once, after them all. */
  record(entries: Entry[]): void {
    const { stamps, age, meta } = this.db;
    const now = this.now();
    let total = meta.get('bytes') ?? 0;
    for (const { key, n, put } of entries) {
      const old = stamps.get(key);
      if (old) age.removeSync([old.t, key]);
      put();
      stamps.putSync(key, { t: now, n });
      age.putSync([now, key], 0);
      total += n - (old?.n ?? 0);
    }
    const used = this.#pagesInUse();
    if (used > this.#maxPageBytes) total = this.#evict(total, (total * this.#maxPageBytes * EVICT_TO) / used);
    else if (total > this.maxBytes) total = this.#evict(total, this.maxBytes * EVICT_TO);
    meta.putSync('bytes', total);
    for (const { key } of entries) this.touched.set(key, now);
  }

  /** Inside a write transaction, once per store: memo entries an older version wrote uncounted are stamped and counted (oldest), then evicted as any. */
  countOldMemo(): void {
    const { stamps, age, meta, memo } = this.db;
    if (meta.get('memoCounted') !== undefined) return;
    let total = meta.get('bytes') ?? 0;
    for (const { key } of memo.getRange({})) {
      const k = MEMO + key;
      if (stamps.get(k)) continue;
      const n = k.length * 2 + MEMO_VALUE_BYTES;
      stamps.putSync(k, { t: 0, n });
      age.putSync([0, k], 0);
      total += n;
    }
    meta.putSync('bytes', total > this.maxBytes ? this.#evict(total, this.maxBytes * EVICT_TO) : total);
    meta.putSync('memoCounted', 1);
  }

  /** Oldest entries first, in one batch, down to EVICT_TO of the budget; runs inside a write transaction. */
  #evict(total: number, target: number): number {
    const { values, stamps, age, memo } = this.db;
    for (const { key } of age.getRange({})) {
      if (total <= target) break;
      const k = key[1];
      const s = stamps.get(k);
      age.removeSync(key);
      if (k.startsWith(MEMO)) memo.removeSync(k.slice(MEMO.length));
      else values.removeSync(k);
      stamps.removeSync(k);
      this.touched.delete(k);
      total -= s?.n ?? 0;
    }
    return Math.max(0, total);
  }

  /** Bytes of the pages the store's B-trees use now (in the open write transaction): values, stamps, age, memo, meta, the root and the free list's own tree. */
  #pagesInUse(): number {
    const { values, stamps, age, memo, meta } = this.db;
    let pages = 0;
    let size = 4096;
    for (const db of [values, stamps, age, memo, meta]) {
      const s = db.getStats() as LmdbStats & { root: LmdbStats; free: LmdbStats };
      pages += s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages;
      if (db === meta) pages += s.root.treeBranchPageCount + s.root.treeLeafPageCount + s.free.treeBranchPageCount + s.free.treeLeafPageCount + s.free.overflowPages;
      size = s.pageSize;
    }
    return pages * size;
  }

  /**
   * The access stamp for now: the wall clock, never before the newest stamp stored. A clock stepped
   * back (an NTP step, a VM resumed, a replica sharing the folder whose clock is behind) stamped fresh
   * entries older than every stale one — evicted first — and left read entries unrefreshed until the
   * clock caught up (held-out probe round 16b). Stamps persist, so a monotonic clock cannot do.
   */
  now(): number {
    const wall = Date.now();
    for (const { key } of this.db.age.getRange({ reverse: true, limit: 1 })) return Math.max(wall, key[0]);
    return wall;
  }

  /** Of the keys read since the last stamp pass, those whose stamps are stale at `now` (reads only): the recent ones are left alone. */
  dueStamps(keys: string[], now: number): string[] {
    const due: string[] = [];
    for (const key of keys) {
      const seen = this.touched.get(key);
      if (seen !== undefined && now - seen < STAMP_REFRESH_MS) continue;
      if (this.touched.size > 100_000) this.touched.clear();
      // the stored stamp first (a read): a recent one needs no write
      const stored = this.db.stamps.get(key);
      if (stored && now - stored.t < STAMP_REFRESH_MS) {
        this.touched.set(key, stored.t);
        continue;
      }
      this.touched.set(key, now);
      due.push(key);
    }
    return due;
  }

  /** Inside a write transaction: the stale stamps of `due` (dueStamps) refreshed to `now`. */
  refreshStamps(due: string[], now: number): void {
    const { stamps, age } = this.db;
    for (const key of due) {
      const s = stamps.get(key);
      if (!s || now - s.t < STAMP_REFRESH_MS) continue;
      age.removeSync([s.t, key]);
      stamps.putSync(key, { t: now, n: s.n });
      age.putSync([now, key], 0);
    }
  }
}
