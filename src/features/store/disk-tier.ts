/**
 * L2, the persistent feature store on local disk: an LMDB environment (lmdb, memory-mapped,
 * multi-process safe: several vlrerank processes on one host may share one folder) holding
 * encoded feature parts (codec.ts) by their feature key, and the memo of local files already seen
 * (real path → size, mtime, content hash) so a warm path neither reads nor hashes them again, and
 * of URLs already read (the object a URL names → ETag / Last-Modified, content hash) so a URL seen
 * before a restart is revalidated (a 304, no body) rather than downloaded whole (fix15).
 *
 * Byte budget: every write adds the entry's size to a counter kept in the store itself, in the same
 * transaction (so processes sharing the folder agree); past `maxBytes` the oldest entries by access
 * stamp are evicted in one batch down to 90 % of the budget. The file is bounded too (fix17): keys are
 * content hashes, so a transaction's writes touch leaf pages all over each B-tree, LMDB's copy-on-write
 * needs a new copy of every page touched while the old one is reusable only two transactions later,
 * and the trees' pages are ~half full; counting value bytes alone let `features.mdb` reach 3.5–4.2×
 * the budget. Eviction also runs when the pages the trees use pass PAGES_SHARE of the budget, which
 * leaves the rest for that copy-on-write room: the file stays ≤ 1.25× the budget (measured, test
 * store-disk-file-bound), at the price of fewer entries per budget byte. The memo of local files is counted and
 * evicted with the values (stamped under MEMO + real path): one entry per distinct file ever read
 * would otherwise fill the map; a file whose memo is gone is read and hashed again. A read
 * refreshes an entry's stamp at most every STAMP_REFRESH_MS (LRU-ish, without a write per hit). Writes are asynchronous,
 * queued and committed together WRITE_DELAY_MS after the first (one transaction, one room check), and never delay an answer.
 *
 * Failure: a file that a child process cannot open (disk-probe.ts: lmdb segfaults on corrupt
 * files), a folder that cannot be created or written (named: mkdir-cause.ts), an open error, or a failed commit leaves the tier `failed`
 * for this process (logged, shown in health); a failing read is counted and answered as a miss. Room
 * (ulimit -f, free space) is looked for before each batch of writes: short of it the batch is skipped and
 * counted and the tier is `down` until a write succeeds. A file deleted or replaced under the open
 * store (file-replaced.ts) is reopened at its path — `down` meanwhile — so every process sharing the
 * folder shares the new file. Never throws, never decides what a key means. The byte counter, access
 * stamps and eviction (PAGES_SHARE, STAMP_REFRESH_MS…) are disk-ledger.ts's, over the databases opened here.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { prepareStoreFolder } from './mkdir-cause.js';
import { noRoomFor, noRoomToCreate } from './file-size-limit.js';
import { open, type RootDatabase } from 'lmdb';
import type { Logger } from '../../observability/logger.js';
import { probeDiskFile } from './disk-probe.js';
import { DiskStatus } from './disk-status.js';
import { FileIdentity } from './file-replaced.js';
import { DelayedBatch } from './delayed-batch.js';
import { DiskLedger, MEMO, MEMO_VALUE_BYTES, type DiskDbs, type Entry } from './disk-ledger.js';
import type { FileMemo, TierHealth, TierHooks, TierState, UrlMemo } from './tier.js';

export interface DiskTierOptions {
  /** Folder of the store (created if missing); the LMDB file is `features.mdb` in it. */
  path: string;
  /** Byte budget of the stored values (keys included). */
  maxBytes: number;
  logger?: Logger;
  hooks?: TierHooks;
  /** How often at most the file at the path is checked to be the one open (ms; default FILE_CHECK_MS). */
  fileCheckMs?: number;
  /** How long after a read its access stamp is refreshed, with every read meanwhile (ms; default STAMP_DELAY_MS; tests). */
  stampDelayMs?: number;
  /** How long after a write it is committed, with every write meanwhile (ms; default WRITE_DELAY_MS; tests). */
  writeDelayMs?: number;
}

/** The file at the path is checked to be the one open at most this often (a stat). */
const FILE_CHECK_MS = 1000;

/** Reads are stamped together this long after the first of them (#touch). */
const STAMP_DELAY_MS = 100;
/** Writes are committed together this long after the first of them (set). */
const WRITE_DELAY_MS = 100;
/** …or at once when this many are queued (the queue holds their bytes meanwhile). */
const WRITE_BATCH_MAX = 512;
/** A URL's memo key: URL + the object's identity (known-media.ts urlIdentity); a local file's is its real path, which starts with `/`. */
const URL_MEMO = 'url|';

/** A queued memo write (memoSet, urlMemoSet), queued under its stamp key MEMO + k; `extra`: bytes counted beside the fixed share. */
interface MemoWrite { memo: FileMemo | UrlMemo; extra: number }
/** A queued write: a value's bytes (or the function that encodes them when the batch is written), or a memo entry. */
type Queued = Uint8Array | (() => Uint8Array | undefined) | MemoWrite;
const isMemoWrite = (q: Queued): q is MemoWrite => !(q instanceof Uint8Array) && typeof q !== 'function';

/** How long flushed() waits for a failed commit's cause to be named. */
const CAUSE_WAIT_MS = 1_000;

export class DiskTier {
  readonly path: string;
  readonly maxBytes: number;
  readonly #s: DiskStatus;
  #env: RootDatabase | undefined;
  #db!: DiskDbs;
  /** The byte counter, access stamps and eviction over #db (disk-ledger.ts). */
  #ledger!: DiskLedger;
  #pending = new Set<Promise<unknown>>();
  /** Set by the first failed commit: the environment is never written, flushed or closed again (#commitFailed). */
  #isBroken = false;
  #broken!: () => void;
  readonly #brokenSignal = new Promise<void>((resolve) => (this.#broken = resolve));
  /** Settles once a failed commit's cause (EIO, ENOSPC…) is in the health's reason. */
  #causeNamed: Promise<void> | undefined;
  /** Stamp of the last access seen per key in this process (saves a stamp read per hit). */
  readonly #touched = new Map<string, number>();
  /** Keys read since the last stamp pass (#touch). */
  readonly #toStamp: DelayedBatch<true>;
  /** Writes waiting for their batch's transaction (set). */
  readonly #queued: DelayedBatch<Queued>;
  readonly #file: FileIdentity;
  /** A reopen under way (the file was deleted or replaced): the tier is not usable until it ends. */
  #reopening: Promise<void> | undefined;

  private constructor(options: DiskTierOptions) {
    this.path = options.path;
    this.maxBytes = options.maxBytes;
    this.#toStamp = new DelayedBatch(options.stampDelayMs ?? STAMP_DELAY_MS, Infinity, (batch) =>
      this.#track(Promise.resolve().then(() => this.#stampReads(batch.map(([key]) => key)))),
    );
    // the write's room check runs at once, so that flushed() has checked and queued the transaction when it returns
    this.#queued = new DelayedBatch(options.writeDelayMs ?? WRITE_DELAY_MS, WRITE_BATCH_MAX, (batch) => this.#writeQueued(batch));
    this.#s = new DiskStatus(options.path, options.logger, options.hooks ?? {});
    this.#file = new FileIdentity(join(options.path, 'features.mdb'), options.fileCheckMs ?? FILE_CHECK_MS);
  }

  /** Open (or create) the store; never throws — a store that cannot be used is `failed`. */
  static async open(options: DiskTierOptions): Promise<DiskTier> {
    const tier = new DiskTier(options);
    await tier.#open();
    return tier;
  }

  async #open(): Promise<void> {
    const file = this.#file.file;
    try {
      prepareStoreFolder(this.path, file);
      const noRoom = existsSync(file) ? undefined : noRoomToCreate(this.path);
      if (noRoom) throw new Error(`${file} cannot be created: ${noRoom}`);
      const bad = await probeDiskFile(file);
      if (bad) throw new Error(bad);
      // eventTurnBatching off: its batch-start write is a promise lmdb keeps to itself, unhandled when a commit fails
      const env = open({ path: file, maxDbs: 8, mapSize: Math.max(64 << 20, this.maxBytes * 2), compression: false, noSubdir: true, eventTurnBatching: false });
      this.#env = env;
      const db: DiskDbs = {
        values: env.openDB({ name: 'values', encoding: 'binary' }),
        stamps: env.openDB({ name: 'stamps' }),
        age: env.openDB({ name: 'age' }),
        meta: env.openDB({ name: 'meta' }),
        memo: env.openDB({ name: 'memo' }),
      };
      this.#db = db;
      this.#ledger = new DiskLedger(db, this.maxBytes, this.#touched);
      this.#file.remember();
      if (db.meta.get('memoCounted') === undefined) this.#track(env.transaction(() => this.#ledger.countOldMemo()));
    } catch (e) {
      this.#s.fail('failed', e);
      await this.#env?.close().catch(() => undefined);
      this.#env = undefined;
    }
  }

  /** The file open is no longer the one at the path: `down`, the old environment closed once its writes end, the path opened again. */
  #reopenIfReplaced(): void {
    if (this.#reopening || this.#isBroken || !this.#env || !this.#file.replaced()) return;
    const old = this.#env;
    this.#env = undefined;
    this.#touched.clear();
    this.#s.fail('down', new Error(`${this.#file.file} was deleted or replaced while open: opening the path again`));
    this.#reopening = (async () => {
      await Promise.allSettled([...this.#pending]);
      await old.close().catch(() => undefined);
      await this.#open();
      if (this.#env && this.#s.state === 'down') this.#s.recover();
    })().finally(() => (this.#reopening = undefined));
  }

  get state(): TierState {
    return this.#s.state;
  }

  get usable(): boolean {
    this.#reopenIfReplaced();
    return this.#env !== undefined && this.#s.state !== 'failed' && !this.#isBroken;
  }

  /**
   * The stored value of `key` as `decode` reads it (its bytes without one), or undefined: absent,
   * unreadable (`decode` threw: another format, damaged) or the tier failing. Counts one lookup — a
   * hit, a miss, or an error for a value that does not decode, which is no hit: health and the hit
   * ratio counted one for every record of another build's format or damaged (probe round 24c).
   */
  get(key: string): Uint8Array | undefined;
  get<T>(key: string, decode: (bytes: Uint8Array) => T): T | undefined;
  get<T>(key: string, decode?: (bytes: Uint8Array) => T): T | Uint8Array | undefined {
    return this.#read(undefined, () => {
      const v = this.#queuedValue(key) ?? this.#db.values.get(key);
      if (!v) {
        this.#s.count('miss');
        return undefined;
      }
      let value: T | Uint8Array = v;
      try {
        if (decode) value = decode(v);
      } catch {
        this.#s.unreadable();
        return undefined;
      }
      this.#s.count('hit');
      this.#touch(key);
      return value;
    });
  }

  has(key: string): boolean {
    return this.#read(false, () => this.#queuedValue(key) !== undefined || this.#db.values.doesExist(key));
  }

  /** A synchronous read: `fallback` when the tier is not usable or the read fails (counted, never thrown). */
  #read<T>(fallback: T, read: () => T): T {
    if (!this.usable) return fallback;
    try {
      return read();
    } catch (e) {
      this.#s.error(e);
      return fallback;
    }
  }

  /**
   * Keep `bytes` under `key` (asynchronous; a failure is counted, never thrown). Writes are queued
   * and committed together WRITE_DELAY_MS after the first of them (at once when flushed() or close()
   * asks), in one write transaction with one room check: the caller is often an answer in the making,
   * and each write used to cost the main thread its own transaction set-up, a statfs and five
   * B-tree statistics (≈ 0.25 ms a write in `bench:rerank --restart-only`'s profile, where every
   * request stores its new query's vector). `bytes` may be a function, called when the batch is
   * written (the encoding off the answer's path too); undefined from it writes nothing. A key read
   * while queued is answered from the queue.
   */
  set(key: string, bytes: Uint8Array | (() => Uint8Array | undefined)): void {
    this.#enqueue(key, bytes);
  }

  #enqueue(key: string, q: Queued): void {
    if (this.usable) this.#queued.add(key, q);
  }

  /** A queued value (encoded now if it was queued as a function), or undefined when `key` is not queued. */
  #queuedValue(key: string): Uint8Array | undefined {
    const q = this.#queued.get(key);
    if (q === undefined || q instanceof Uint8Array) return q;
    if (isMemoWrite(q)) return undefined; // a memo's stamp key, never a value's
    const bytes = q();
    this.#queued.replace(key, bytes);
    return bytes;
  }

  /** Commit a batch of queued writes (its timer fired, it is full, or flushed() asks). */
  #writeQueued(batch: [string, Queued][]): void {
    let written: Promise<void> | undefined;
    try {
      written = this.#write(batch);
    } catch (e) {
      written = Promise.reject(e);
    }
    if (written) this.#track(written);
  }

  #write(batch: [string, Queued][]): Promise<void> | undefined {
    if (!this.usable) return;
    const entries: Entry[] = [];
    let total = 0;
    for (const [key, value] of batch) {
      if (isMemoWrite(value)) {
        const n = key.length * 2 + MEMO_VALUE_BYTES + value.extra;
        if (n > this.maxBytes / 4) continue;
        entries.push({ key, n, put: () => this.#db.memo.putSync(key.slice(MEMO.length), value.memo) });
        total += n;
        continue;
      }
      const bytes = typeof value === 'function' ? value() : value;
      if (!bytes) continue;
      const n = bytes.byteLength + key.length * 2;
      if (n > this.maxBytes / 4) {
        this.#s.counters.skipped++;
        continue;
      }
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      entries.push({ key, n, put: () => this.#db.values.putSync(key, buf) });
      total += n;
    }
    if (entries.length === 0) return;
    if (!this.#roomFor(total)) {
      this.#s.counters.skipped += entries.length - 1; // #roomFor counted one
      return;
    }
    return this.#commit(entries);
  }

  /** One write transaction: each entry `put`, stamped under its key (its size `n` counted); eviction past the budget once, after them all. */
  #commit(entries: Entry[]): Promise<void> {
    return (
      this.#env!.transaction(() => this.#ledger.record(entries)).then(() => {
        this.#s.counters.writes += entries.length;
        if (this.#s.state === 'down') this.#s.recover();
      })
    );
  }

  /** Is there room for a write of `n` bytes (the process's file size limit, the file system)? If not: skipped, counted, the tier `down`. */
  #roomFor(n: number): boolean {
    const short = noRoomFor(this.path, join(this.path, 'features.mdb'), n);
    return short ? this.#s.skip(short) : true;
  }

  /**
   * A read of `key`: its access stamp is refreshed later, in one pass with every key read within
   * `stampDelayMs` (100 ms; at once when flushed() or close() asks). A read used to find "now" on the
   * answer's path (DiskLedger.now: an lmdb cursor over the age index) and read its stored stamp there, and a
   * stale stamp (records older than STAMP_REFRESH_MS, as after a restart) queued a write
   * transaction of its own: the 50 reads of test store-disk-tier committed in 5. A read now costs a
   * Set insert; the pass finds "now" once and refreshes every stale stamp in one write transaction.
   */
  #touch(key: string): void {
    // a process may end before the pass (stamps only order eviction); close() runs it
    this.#toStamp.add(key, true);
  }

  /** The stamps of the keys read since the last pass: the recent ones left alone, the stale ones refreshed in one write transaction. */
  #stampReads(keys: string[]): Promise<void> | undefined {
    if (!this.usable) return;
    const now = this.#ledger.now();
    const due = this.#ledger.dueStamps(keys, now);
    if (due.length === 0) return;
    return this.#env!.transaction(() => this.#ledger.refreshStamps(due, now));
  }

  /** What this store remembers of a local file (by real path). */
  memoGet(location: string): FileMemo | undefined {
    return this.#memoGet(location) as FileMemo | undefined;
  }

  /** Remember a local file (asynchronous, queued and committed with set()'s writes); counted in the budget and evicted with the values. */
  memoSet(location: string, memo: FileMemo): void {
    this.#memoSet(location, memo, 0);
  }

  /** What this store remembers of a URL (by the object's identity): its validators and the content hash of the copy read. */
  urlMemoGet(identity: string): UrlMemo | undefined {
    return this.#memoGet(URL_MEMO + identity) as UrlMemo | undefined;
  }

  /** Remember a URL's validators, as memoSet a file's (an ETag or a date is counted beside the fixed share). */
  urlMemoSet(identity: string, memo: UrlMemo): void {
    this.#memoSet(URL_MEMO + identity, memo, ((memo.etag?.length ?? 0) + (memo.lastModified?.length ?? 0)) * 2);
  }

  #memoGet(k: string): FileMemo | UrlMemo | undefined {
    return this.#read(undefined, () => {
      const queued = this.#queued.get(MEMO + k);
      if (queued !== undefined && isMemoWrite(queued)) return queued.memo;
      const memo = this.#db.memo.get(k);
      if (memo) this.#touch(MEMO + k);
      return memo;
    });
  }

  #memoSet(k: string, memo: FileMemo | UrlMemo, extra: number): void {
    this.#enqueue(MEMO + k, { memo, extra });
  }


  health(): TierHealth {
    const h = this.#s.health(this.maxBytes);
    if (this.usable) {
      try {
        h.entries = (this.#db.values.getStats() as { entryCount: number }).entryCount;
        h.bytes = this.#db.meta.get('bytes') ?? 0;
        h.fileBytes = statSync(join(this.path, 'features.mdb')).size;
      } catch {
        // statistics are best effort
      }
    }
    return h;
  }

  /** Resolves when every write started so far has committed (tests, shutdown). */
  async flushed(): Promise<void> {
    this.#queued.flush();
    this.#toStamp.flush();
    await this.#reopening;
    // after a failed commit, writes lmdb had queued may never settle (its writer blocks on the lock)
    while (this.#pending.size && !this.#isBroken) await Promise.race([Promise.allSettled([...this.#pending]), this.#brokenSignal]);
    // a failed commit's cause comes on a later turn than the failure: health read after flushed()
    // names it (a loaded CI machine read the reason without it); bounded, lmdb settles it at once
    if (this.#causeNamed) await Promise.race([this.#causeNamed, sleep(CAUSE_WAIT_MS, undefined, { ref: false })]);
  }

  async close(): Promise<void> {
    await this.flushed();
    const env = this.#env;
    this.#env = undefined;
    // a broken environment is left as it is: its close waits for lmdb's write lock, which a failed
    // commit can leave taken (the process's exit releases the file and its locks)
    if (!this.#isBroken) await env?.close().catch(() => undefined);
  }

  #track(p: Promise<unknown>): void {
    const q = p
      .catch((e: unknown) => {
        // lmdb rejects a failed commit's writes with an error whose `commitError` is a second
        // promise, rejected with the I/O error (ENOSPC…): handled there (unhandled, it ends the process)
        const c = (e as { commitError?: unknown } | undefined)?.commitError;
        if (c instanceof Promise) this.#commitFailed(c);
        else this.#s.error(e);
      })
      .finally(() => this.#pending.delete(q));
    this.#pending.add(q);
  }

  /**
   * A commit failed (ENOSPC in the free-space check's race, EIO, EDQUOT…): `failed`, and the
   * environment is never written, flushed or closed again. lmdb 3.5 marks it fatal when a commit
   * fails on its meta page, and its writer thread then returns from the failed \`mdb_txn_begin\`
   * holding the write lock (src/writer.cpp, WriteWorker::Write): the next write transaction or close
   * blocked the main thread for good — requests, health and SIGTERM's drain hung (probe round 12b).
   */
  #commitFailed(commitError: Promise<unknown>): void {
    const first = !this.#isBroken;
    this.#isBroken = true;
    this.#broken();
    this.#touched.clear();
    if (first) this.#s.fail('failed', new Error('a commit failed: writes stopped until a restart'));
    const named = commitError.then(
      () => undefined,
      (cause: unknown) => {
        if (!this.#s.reason?.startsWith('a commit failed:')) return; // the first failure's cause names it
        this.#s.setReason(`a commit failed (${(cause as Error)?.message ?? String(cause)}): writes stopped until a restart`);
        this.#s.logger?.warn({ tier: 'disk', path: this.path, err: this.#s.reason }, 'disk feature store commit failed');
      },
    );
    this.#causeNamed ??= named;
  }

}
