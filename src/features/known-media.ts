/**
 * What the extractor remembers about media references it has read, so that a reference seen
 * before costs little when its features are cached: a local file keeps its content hash while its
 * size, mtime and ctime do not change (one stat() instead of a read and a sha256), and a URL keeps its
 * ETag / Last-Modified for a conditional re-fetch (a 304 costs no body). Bounded LRUs of small
 * records; never holds media bytes and never decides whether a path is allowed (local.ts does).
 *
 * With a persistent memo (the disk tier's, issue 12 §5) a local file's (real path → size, mtime,
 * content hash) outlives the process: after a restart, a file seen before is found by one
 * roots check (realpath, no read) and one stat(), so the warm path reads and hashes nothing. A
 * URL's validators are kept there too (by the object's identity, urlIdentity), and in Redis (L3)
 * when it is configured: after a restart a URL seen before whose features are in a persistent tier
 * is revalidated — a 304 costs no body and no model
 * run — instead of downloaded whole once (issue 12 §5: a document found by its identity "URL +
 * ETag/Last-Modified" is not read again; fix15). What is kept is what the fetch gave (source.ts drops
 * a Last-Modified under a second old), and only ever sent: the server decides.
 */
import { statSync } from 'node:fs';
import { LRUCache } from 'lru-cache';
import { classifyRef, type MediaBytes } from './media/source.js';
import type { FileMemo, UrlMemo } from './store/tier.js';

/** A local file known by its real path, with what identifies the copy whose features are kept. */
type KnownFile = FileMemo & { location: string };

/** A persistent memo of local files by real path (the disk tier's). */
export interface FileMemoStore {
  memoGet(location: string): FileMemo | undefined;
  memoSet(location: string, memo: FileMemo): void;
}

/** A persistent memo of URLs by the object they name (the disk tier's). */
export interface UrlMemoStore {
  urlMemoGet(identity: string): UrlValidators | undefined;
  urlMemoSet(identity: string, memo: UrlValidators): void;
}

/** A shared memo of URLs (Redis, L3): asked only when neither this process nor the disk knows the URL. */
export interface SharedUrlMemoStore {
  urlMemoGet(identity: string): Promise<UrlValidators | undefined>;
  urlMemoSet(identity: string, memo: UrlValidators): void;
}

export interface KnownMediaOptions {
  memo?: FileMemoStore;
  urlMemo?: UrlMemoStore;
  sharedUrlMemo?: SharedUrlMemoStore;
  /** The real path of a local reference, checked against the media roots (MediaSource.localPath); throws when refused. */
  localPath?: (ref: string) => Promise<string>;
}

/** A URL's validators and the content hash of the copy read: what the persistent tiers keep of it (store/tier.ts). */
export type UrlValidators = UrlMemo;

export class KnownMedia {
  /** Reference → real path, size, mtime and content hash of the copy whose features are cached. */
  readonly #paths = new LRUCache<string, KnownFile>({ max: 100_000 });
  /** URL → validators and content hash of the copy whose features are cached. */
  readonly #urls = new LRUCache<string, UrlValidators>({ max: 50_000 });
  readonly #o: KnownMediaOptions;

  constructor(options: KnownMediaOptions = {}) {
    this.#o = options;
  }

  /** Remember what a resolve() gave: validators of a URL, size and mtime of a local file. */
  remember(ref: string, m: Omit<MediaBytes, 'bytes'>): void {
    if (m.origin === 'url' && (m.etag || m.lastModified)) this.rememberUrl(ref, m);
    this.rememberPath(ref, m);
  }

  /** A local file seen before keeps its content hash while its size, mtime and ctime do not change. */
  rememberPath(ref: string, m: Omit<MediaBytes, 'bytes'>): void {
    // size and mtime from the same open file the bytes came from (no window for a change between)
    if (m.origin !== 'path' || !m.location || !m.file) return;
    this.#paths.set(ref, { location: m.location, ...m.file, contentHash: m.contentHash });
    const kept = this.#o.memo?.memoGet(m.location);
    if (!kept || kept.contentHash !== m.contentHash || kept.size !== m.file.size || kept.mtimeMs !== m.file.mtimeMs || kept.ctimeMs !== m.file.ctimeMs) {
      this.#o.memo?.memoSet(m.location, { ...m.file, contentHash: m.contentHash });
    }
  }

  /**
   * The content hash of a local file seen before, if it has not changed since (one stat()).
   * The stat is synchronous: a metadata read of a file under the local media roots is a few µs
   * from the inode cache, while 25 async ones cost a warm 50-document request ~0.5 ms of
   * thread-pool round trips and a wake-up each — on a loaded 2-core host every wake-up waits for
   * a core (bench:rerank warm after restart). Only local paths under the media roots get here.
   */
  async pathHash(ref: string): Promise<string | undefined> {
    const memo = this.#paths.get(ref) ?? (await this.#persisted(ref));
    return memo ? unchanged(memo) : undefined;
  }

  /**
   * pathHash without a turn of the event loop: only a file this process has seen (its in-memory
   * memo), never the persistent memo (whose roots check is asynchronous). The same stat() decides.
   */
  seenPathHash(ref: string): string | undefined {
    const memo = this.#paths.get(ref);
    return memo ? unchanged(memo) : undefined;
  }

  /** The persistent memo of `ref`'s real path (the roots are checked again: a memo never bypasses them). */
  async #persisted(ref: string): Promise<KnownFile | undefined> {
    const { memo, localPath } = this.#o;
    if (!memo || !localPath || classifyRef(ref) !== 'path') return undefined;
    const location = await localPath(ref).catch(() => undefined);
    const kept = location ? memo.memoGet(location) : undefined;
    if (!location || !kept) return undefined;
    const found = { location, ...kept };
    this.#paths.set(ref, found);
    return found;
  }

  /** Validators of a URL seen before — or of the same object under another signature (urlIdentity). */
  url(ref: string): UrlValidators | undefined {
    const id = urlIdentity(ref);
    const seen = this.#urls.get(id);
    if (seen) return seen;
    const kept = this.#o.urlMemo?.urlMemoGet(id);
    if (kept) this.#urls.set(id, kept);
    return kept;
  }

  /** url(), then the shared memo (Redis: one round trip), for a URL neither this process nor the disk has seen. */
  async urlAnywhere(ref: string): Promise<UrlValidators | undefined> {
    const near = this.url(ref);
    if (near || !this.#o.sharedUrlMemo) return near;
    const id = urlIdentity(ref);
    const shared = await this.#o.sharedUrlMemo.urlMemoGet(id);
    if (shared) this.#urls.set(id, shared);
    return shared;
  }

  /** Keep a URL's validators; a copy without any cannot be revalidated, so it is forgotten. */
  rememberUrl(ref: string, m: { etag?: string; lastModified?: string; contentHash: string }): void {
    const id = urlIdentity(ref);
    if (!m.etag && !m.lastModified) return void this.#urls.delete(id);
    const v: UrlValidators = { contentHash: m.contentHash, ...(m.etag ? { etag: m.etag } : {}), ...(m.lastModified ? { lastModified: m.lastModified } : {}) };
    const before = this.#urls.get(id) ?? this.#o.urlMemo?.urlMemoGet(id);
    this.#urls.set(id, v);
    // written when it changed only: a URL read again with the same validators costs no disk write
    if (!before || before.contentHash !== v.contentHash || before.etag !== v.etag || before.lastModified !== v.lastModified) {
      this.#o.urlMemo?.urlMemoSet(id, v);
      this.#o.sharedUrlMemo?.urlMemoSet(id, v);
    }
  }
}

/**
 * Query parameters that sign a URL rather than name an object: S3/MinIO presigned (X-Amz-*),
 * GCS (X-Goog-*; GoogleAccessId/Expires/Signature), CloudFront (Expires/Policy/Signature/
 * Key-Pair-Id), Azure SAS (sig/se/st/sv/sp/spr/sip/sr/…). Lower-cased.
 */
const SIGNING = new Set(['expires', 'signature', 'googleaccessid', 'policy', 'key-pair-id', 'sig', 'se', 'st', 'sv', 'sp', 'spr', 'sip', 'sr', 'ss', 'srt', 'skoid', 'sktid', 'skt', 'ske', 'sks', 'skv', 'sdd']);
const SIGNATURE = new Set(['x-amz-signature', 'x-goog-signature', 'signature', 'sig']);

/**
 * The object a URL names, for its validators (held-out probe round 14d): a presigned URL comes with
 * a new signature and expiry on every search, so keyed by the whole URL each one was a miss and the
 * whole object was downloaded again. Only a URL that carries a signature loses its signing
 * parameters; every other parameter (versionId, an image transform's width…) stays part of the
 * identity. Safe by construction: the validators are only ever *sent* (If-None-Match to the URL
 * as given) and the server decides — a 304 is the server's word that the object it names is the
 * copy whose features are kept; anything else is fetched and hashed.
 */
export function urlIdentity(ref: string): string {
  const u = URL.parse(ref);
  if (!u || !u.search) return ref;
  const names = [...u.searchParams.keys()].map((k) => k.toLowerCase());
  if (!names.some((k) => SIGNATURE.has(k))) return ref;
  for (const k of new Set(u.searchParams.keys())) {
    const l = k.toLowerCase();
    if (l.startsWith('x-amz-') || l.startsWith('x-goog-') || SIGNING.has(l)) u.searchParams.delete(k);
  }
  return u.toString();
}

/** The memo's content hash if the file still has its size and mtime (one stat()), else undefined. */
function unchanged(memo: KnownFile): string | undefined {
  let st: { size: number; mtimeMs: number; ctimeMs: number } | undefined;
  try {
    st = statSync(memo.location, { throwIfNoEntry: false });
  } catch {
    st = undefined;
  }
  // the ctime as well: a file replaced by a copy that kept its size and mtime (`cp -p`, `rsync -t`, `touch -r`)
  // moves it, which no one can set back; a memo without it (an older build's) is read again once
  return st && st.size === memo.size && st.mtimeMs === memo.mtimeMs && st.ctimeMs === memo.ctimeMs ? memo.contentHash : undefined;
}
