/**
 * Write-back of feature records (issue 12 §2), for pipelines that opt in (`features.write_back`):
 * after a reranked search answered, the hits it scored without a usable record get theirs written
 * to the index, so the next search (in any process) reads them instead of computing. The search
 * only `offer`s its hits; everything else happens later, one job at a time, with at most
 * `maxPending` documents waiting (beyond that, offers are dropped and counted) — it never slows,
 * delays or fails a search.
 *
 * The index's mapping is read for each job (it may have been deleted and created again without the
 * record field since the last). Never overwrites a newer write: the document is read again (`_mget`, with its `_seq_no` and
 * `_primary_term`); a document whose reranked fields changed since the search read them is left
 * alone, and the partial update is conditioned on the sequence number read, so an update landing in
 * between makes the write a counted conflict. The features were just computed by the search, so
 * the records come from the feature cache; a document whose media cannot be read gets none.
 *
 * Every read and write of a job goes with the credentials of the client whose search offered the
 * hits (held-out probe round 9: they went with none — a secured cluster refused each write-back,
 * or with the upstream URL's own credentials wrote on behalf of clients allowed only to read), and
 * with its `X-Opaque-Id` and trace context (engine/targets.ts onBehalfHeaders; held-out probe round
 * 19a: an SRE saw the search's id in `_tasks` and the slow log, not the `_mapping`/`_mget`/`_bulk`
 * it caused). The refusal memo is keyed by the credentials alone (`credentialsKey`).
 * Credentials the engine refuses (401/403: a tenant allowed to read an index, not to write it) make
 * the job `refused`, not `failed`, and that index is not offered again for them for `REFUSED_MS`
 * (held-out probe round 13a: each search of a read-only tenant cost its records, a mapping read,
 * an `_mget`, a refused `_bulk` and a warning with a stack trace).
 */
import { LRUCache } from 'lru-cache';
import type { EngineClient } from '../engine/client.js';
import { isBlockRefusal } from '../engine/refusals.js';
import { credentialsKey } from '../engine/targets.js';
import { requestIds, type RequestIds } from '../observability/request-ids.js';
import { isVlrerankError, vlrError } from '../errors.js';
import { contentId, isNewerRecord, packRecord, parseRecord } from '../features/record/index.js';
import { isRemoteName, type Pipeline } from '../pipelines/index.js';
import { documentFromSource, withFieldSources } from '../pipelines/document.js';
import type { Embedder } from '../rerank/embedder.js';
import type { RecordDocument } from '../rerank/records/build.js';
import { documentText } from '../rerank/read-text.js';
import { ocrFieldToo, recordMappingOf, sourceFieldsOf } from './backfill-records.js';
import { addOcrText, recordShape } from './records.js';

export type WriteBackOutcome = 'written' | 'conflict' | 'changed' | 'dropped' | 'failed' | 'unsafe' | 'refused' | 'newer' | 'contested';

/** How long an index whose writes refused a client's credentials is not offered again for them (ms). */
export const REFUSED_MS = 60_000;
const isRefusal = (status: number | undefined) => status === 401 || status === 403;
/**
 * The OpenSearch security plugin refuses every update by a role with field- or document-level
 * security with a **500** `security_exception` ("Update is not supported when FLS or DLS or
 * Fieldmasking is activated"): a refusal of these credentials, not a fault (held-out probe round
 * 16a: counted `failed`, a warning with a stack trace, and offered again on each search).
 */
const isSecurityRefusal = (body: unknown): boolean => (body as { error?: { type?: unknown } } | undefined)?.error?.type === 'security_exception';

/** A document's version as the engine last told it (`_mget`, or the answer to its write). */
export type SeqNo = { _seq_no: number; _primary_term: number };

/**
 * A `_bulk`'s two lines updating document `id` with the partial `doc` only if it is still at `now`
 * (else the engine's 409: a newer write landed in between and is never clobbered).
 */
export function conditionalUpdate(id: string, routing: string | undefined, now: SeqNo, doc: Record<string, unknown>): [string, string] {
  const action = { _id: id, ...(routing !== undefined ? { routing } : {}), if_seq_no: now._seq_no, if_primary_term: now._primary_term };
  return [JSON.stringify({ update: action }), JSON.stringify({ doc })];
}

export type UpdateItem = { update?: { status?: number; error?: { type?: string } } };

/**
 * A conditional update's `_bulk` item: written, a conflict (changed or deleted since), refused
 * (401/403, or an index block: the flood stage's `read_only_allow_delete` answers 429
 * `cluster_block_exception` — held-out probe round 29d: counted `failed` and tried again at each
 * search, a `_mapping`, an `_mget` and a refused `_bulk` into a cluster out of disk) or failed.
 */
export function updateOutcome(it: UpdateItem): 'written' | 'conflict' | 'refused' | 'failed' {
  const s = it.update?.status ?? 500;
  // deleted since it was read: the client's delete stands (a partial update never re-creates it)
  const gone = s === 404 && it.update?.error?.type === 'document_missing_exception';
  return s === 409 || gone ? 'conflict' : s < 300 ? 'written' : isRefusal(s) || isSecurityRefusal(it.update) || isBlockRefusal(it.update?.error) ? 'refused' : 'failed';
}

export interface WriteBackHit {
  /** The concrete index the hit came from (`_index`). */
  index: string;
  id: string;
  /** The hit's `_routing` (a routed document on an index of several shards is read and written with it). */
  routing?: string;
  /** The document as the search reranked it. */
  doc: RecordDocument;
  /** Its record as the search read it (unpacked; undefined: none). */
  record: unknown;
}

export interface WriteBackDeps {
  engine: Pick<EngineClient, 'json'>;
  embedder: Pick<Embedder, 'records' | 'recordSignature' | 'recordCovers'>;
  /** Documents waiting at most (default 256). */
  maxPending?: number;
  onOutcome?(outcome: WriteBackOutcome, count: number): void;
  /** `about`: the index and the offering search's X-Opaque-Id and trace id, for the warning's line. */
  onError?(error: unknown, about: { index: string } & RequestIds): void;
  /** How long a document this process wrote a record into stays contested if another configuration writes it again (default 10 min). */
  contestedMs?: number;
}

/** Does this record describe this very content (every part the document has, by its content hash)? */
function sameContent(x: unknown, d: RecordDocument): boolean {
  const { record } = parseRecord(x);
  if (!record) return false;
  if (d.text !== undefined && record.text?.h !== contentId(documentText(d.text))) return false; // keyed by the text as read (read-text.ts)
  if (d.image !== undefined && record.image?.r !== contentId(d.image)) return false;
  if (d.video !== undefined && record.video?.r !== contentId(d.video)) return false;
  return true;
}

/** A document's place in the queue: its index, id and routing (one id may name two routed documents). */
function queueKey(index: string, h: WriteBackHit): string {
  return `${index}\u0000${h.id}\u0000${h.routing ?? ''}`;
}

export class RecordWriteBack {
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  readonly #queued = new Set<string>();
  /** Index and credentials the engine refused a write-back to, for REFUSED_MS (bounded: keys come from clients). */
  readonly #refused = new LRUCache<string, true>({ max: 1024, ttl: REFUSED_MS });
  /**
   * Documents this process wrote a record into lately. Found again holding another configuration's
   * record of the same content, another replica of another configuration is writing them too: the
   * two replaced each other's at every search (held-out probe round 13e: 18 writes each in 3 rounds
   * of 6 clips), so the document is left to the other (`contested`) until the memo expires.
   */
  readonly #wrote: LRUCache<string, true>;

  constructor(private readonly deps: WriteBackDeps) {
    this.#wrote = new LRUCache({ max: 10_000, ttl: deps.contestedMs ?? 600_000 });
  }

  /**
   * Hand over a search's hits; returns at once, never throws. A remote cluster's hit (`_index`
   * `other:kb`, a cross-cluster search) is never offered: its record is the remote cluster's to keep,
   * written through a vlrerank in front of it — this cluster refuses the name anyway, and each such
   * search cost a refused `_mapping` read, a `failed` count and a warning with a stack trace
   * (held-out probe round 20a).
   */
  offer(pipeline: Pipeline, hits: WriteBackHit[], credentials: Record<string, string> = {}): void {
    if (!pipeline.features.writeBack || pipeline.features.store !== 'index') return;
    const byIndex = new Map<string, WriteBackHit[]>();
    for (const h of hits) if (!isRemoteName(h.index)) byIndex.set(h.index, [...(byIndex.get(h.index) ?? []), h]);
    for (const [index, list] of byIndex) this.#offer(index, pipeline, list, credentials);
  }

  #offer(index: string, pipeline: Pipeline, hits: WriteBackHit[], credentials: Record<string, string>): void {
    const who = `${index}\u0000${credentialsKey(Object.entries(credentials).flat())}`;
    if (this.#refused.has(who)) return void this.deps.onOutcome?.('refused', hits.length);
    const max = this.deps.maxPending ?? 256;
    const fresh = hits.filter((h) => !this.#queued.has(queueKey(index, h)));
    const room = Math.max(0, max - this.#pending);
    const take = fresh.slice(0, room);
    if (fresh.length > take.length) this.deps.onOutcome?.('dropped', fresh.length - take.length);
    if (!take.length) return;
    for (const h of take) this.#queued.add(queueKey(index, h));
    this.#pending += take.length;
    this.#chain = this.#chain
      .then(() => this.#job(index, pipeline, take, credentials))
      .then((refused) => {
        if (refused) this.#refused.set(who, true);
      })
      .catch((e) => {
        if (isVlrerankError(e) && isRefusal(e.status)) {
          this.#refused.set(who, true);
          return void this.deps.onOutcome?.('refused', take.length);
        }
        this.deps.onOutcome?.('failed', take.length);
        this.deps.onError?.(e, { index, ...requestIds(Object.entries(credentials).flat()) });
      })
      .finally(() => {
        this.#pending -= take.length;
        for (const h of take) this.#queued.delete(queueKey(index, h));
      });
  }

  /** Resolves when every job offered so far has finished (shutdown, tests). */
  idle(): Promise<void> {
    return this.#chain;
  }

  /** One job; true when the engine refused some of its writes to these credentials. */
  async #job(index: string, pipeline: Pipeline, offered: WriteBackHit[], credentials: Record<string, string>): Promise<boolean | void> {
    const { embedder, engine } = this.deps;
    // a newer build's record is never downgraded by a search (features/record/format.ts isNewerRecord)
    const newer = offered.filter((h) => isNewerRecord(h.record)).length;
    if (newer) this.deps.onOutcome?.('newer', newer);
    const covered = await Promise.all(offered.map((h) => isNewerRecord(h.record) || embedder.recordCovers(h.record, h.doc, pipeline.scorer.chunking, pipeline.scorer.weights)));
    const contested = offered.filter((h, i) => !covered[i] && this.#wrote.has(queueKey(index, h)) && sameContent(h.record, h.doc));
    if (contested.length) this.deps.onOutcome?.('contested', contested.length);
    const hits = offered.filter((h, i) => !covered[i] && !contested.includes(h));
    if (!hits.length) return;
    // read for each job, never kept: an index deleted and created again under its name (auto-created by
    // a write, no record field) got records from a mapping trusted 60 s — mapped by guess, shown in
    // every reader's `_source` (held-out probe round 11a)
    const mapping = await recordMappingOf(engine, pipeline, index, credentials);
    if (!mapping.records) return;
    // fields left out of _source would lose their indexed values to the partial update (probe round 12e)
    if (mapping.updateDrops.length) return void this.deps.onOutcome?.('unsafe', hits.length);
    const shape = recordShape(pipeline);
    const out = await embedder.records(hits.map((h) => h.doc), undefined, { queryVectors: shape.queryVectors, chunking: shape.chunking, weights: shape.weights });
    const bad = new Set(out.errors.map((e) => e.index));
    const idx = encodeURIComponent(index);
    type Got = { _id: string; found?: boolean; _seq_no?: number; _primary_term?: number; _source?: Record<string, unknown> };
    // an alias, a multi-field, a `copy_to` target: read through the fields they read, as the search did (fix20d)
    const fields = ocrFieldToo(sourceFieldsOf(pipeline, mapping.sources), pipeline);
    const got = await engine.json<{ docs?: Got[] }>('POST', `/${idx}/_mget`, { docs: hits.map((h) => ({ _id: h.id, ...(h.routing !== undefined ? { routing: h.routing } : {}), _source: fields })) }, credentials);
    if (got.statusCode !== 200 || !Array.isArray(got.body?.docs)) throw vlrError('VLR_UPSTREAM_ERROR', `_mget on [${index}] answered ${got.statusCode}`, { status: isRefusal(got.statusCode) ? got.statusCode : 502 });
    const signature = mapping.keyed ? await embedder.recordSignature(shape) : undefined;
    const lines: string[] = [];
    const written: WriteBackHit[] = [];
    let changed = 0;
    hits.forEach((h, i) => {
      const now = got.body.docs![i];
      if (bad.has(i) || !now?.found || now._seq_no === undefined || now._primary_term === undefined) return void changed++;
      // the record describes the document the search saw: only if that is still the document
      if (JSON.stringify(documentFromSource(withFieldSources(now._source ?? {}, mapping.sources), pipeline, { image: h.doc.image, video: h.doc.video })) !== JSON.stringify(h.doc)) return void changed++;
      const doc = { [pipeline.features.field]: packRecord(out.records[i]!), ...(signature ? { [pipeline.features.keyField]: signature } : {}) };
      addOcrText(doc, pipeline, out.records[i], now._source); // `ingest.ocr_text`: written with the signature that says it is there
      lines.push(...conditionalUpdate(h.id, h.routing, now as SeqNo, doc));
      written.push(h);
    });
    if (changed) this.deps.onOutcome?.('changed', changed);
    if (!lines.length) return;
    const r = await engine.json<{ items?: UpdateItem[] }>('POST', `/${idx}/_bulk`, lines.join('\n') + '\n', { ...credentials, 'content-type': 'application/x-ndjson' });
    if (r.statusCode !== 200 || !Array.isArray(r.body?.items)) throw vlrError('VLR_UPSTREAM_ERROR', `_bulk on [${index}] answered ${r.statusCode}`, { status: isRefusal(r.statusCode) ? r.statusCode : isSecurityRefusal(r.body) || isBlockRefusal((r.body as { error?: unknown } | undefined)?.error) ? 403 : 502 });
    const count = { written: 0, conflict: 0, failed: 0, refused: 0 };
    for (const it of r.body.items) count[updateOutcome(it)]++;
    r.body.items.forEach((it, i) => void ((it.update?.status ?? 500) < 300 && this.#wrote.set(queueKey(index, written[i]!), true)));
    for (const [k, n] of Object.entries(count)) if (n) this.deps.onOutcome?.(k as WriteBackOutcome, n);
    return count.refused > 0;
  }
}
