/**
 * Backfill of feature records (issue 12 §3): compute and write the record (and the pipeline's kNN
 * vectors) of every document of an existing index whose record is missing or was written under
 * another configuration. Found with one query: the signature beside each record
 * (`features.keyField`, rerank/records/keys.ts) is not this configuration's. An index created
 * before the signature field existed (its `_source.excludes` cannot change) is read whole instead,
 * each document's record checked against the running configuration (`recordCovers`). Read from one
 * point in time (engine/scan.ts), `batch` documents a page; the next page is read while this one is
 * computed, up to `concurrency` pages are computed at once (so one page's media decode overlaps
 * another's inference), pages are written one `_bulk` after another, and `maxDocsPerSecond` caps
 * the pace the cluster sees.
 *
 * Resumable without a checkpoint: a written document carries this configuration's signature and
 * no longer matches, so a run stopped half-way (killed, or aborted by its signal — then the writes
 * already started finish) continues where it stopped and never writes a document twice. Each write
 * is a partial update conditioned on the `_seq_no`/`_primary_term` read: a document changed since
 * (through the proxy, with its own record) is counted as a conflict and never overwritten.
 * A document whose media cannot be read gets the record of what could be computed but no
 * signature, so the next run tries it again. Never touches the document's `_source` fields.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { vlrError } from '../errors.js';
import { isNewerRecord, packRecord, unpackRecord, type FeatureRecord } from '../features/record/index.js';
import type { EngineClient } from '../engine/client.js';
import { fieldSources, recordFieldMapped, recordKeyMapped, vectorsFitIndex } from '../engine/mapping.js';
import { scanIndex, type ScanHit } from '../engine/scan.js';
import type { Pipeline } from '../pipelines/index.js';
import { pipelinePaths, withFieldSources } from '../pipelines/document.js';
import type { Embedder } from '../rerank/embedder.js';
import type { RecordDocument } from '../rerank/records/build.js';
import { addOcrText, recordShape } from './records.js';
import { backfillUpdate, fieldsAnUpdateDrops, sourceDisabled, sourceDisabledReason, updateDropsReason } from './backfill-source.js';
import { addVectors } from './vectors.js';
import { ingestDocument } from './media-choice.js';
import { fanOutSignal } from '../util/abort.js';
import { isBlockRefusal, jsonWaitingOut429, waitOutRefusal, type RefusalPolicy } from '../engine/refusals.js';

export interface RecordsBackfillProgress {
  /** Documents whose record was missing or stale when the run began. */
  total: number;
  /** Documents handled (written, failed, skipped or in conflict). */
  done: number;
  /** Documents that got a complete record (and their vectors). */
  recorded: number;
  /** Documents whose media could not be read: a record of their text, no signature (retried next run). */
  failed: number;
  /** Documents changed or deleted by someone else since they were read: left as they are. */
  conflicts: number;
  /** Documents with nothing to rerank (no text, image or video field). */
  skipped: number;
  /**
   * Documents whose record was already current. Found by signature, a record written under another
   * configuration that still serves this one whole (made with OCR, read without; probe round 13e:
   * it was computed again and lost its OCR) gets this configuration's signature only, no model run.
   */
  current: number;
  /** Documents whose record, of a newer feature-schema version (a newer build's), was replaced by this build's. */
  replacedNewer: number;
  /**
   * Of `recorded` and `failed`: documents whose every feature was read from the feature store (a
   * server's or an earlier run's), no model run — the rest were computed. Backfill's closing line
   * compares only those computed with the model-alone ceiling (fix16).
   */
  fromStore: number;
  /**
   * The first documents of `failed` (at most 20), each with why its media could not be read — a
   * time-out is not an unreadable file (held-out probe round 22d: "40 only part of it (media
   * unreadable)" named neither the documents nor the ffmpeg time limit they had hit).
   */
  failures: Array<{ id: string; reason: string }>;
  /** How the index was read (`pit` or `scroll`). */
  via?: 'pit' | 'scroll';
  /** The run stopped on its signal before the end. */
  stopped?: boolean;
}

export interface RecordsBackfillOptions {
  /** Documents per page and per `_bulk` (default 32). */
  batch?: number;
  /** Pages computed at once (default 2: one decoding while the other runs the models). */
  concurrency?: number;
  /** Cap on documents started per second (default: none). */
  maxDocsPerSecond?: number;
  onProgress?(p: RecordsBackfillProgress): void;
  /** The first page's documents and records, once written (for the model-alone ceiling). */
  onFirstBatch?(docs: RecordDocument[], records: FeatureRecord[]): void;
  /** The engine's 429 on a write: waited out (its Retry-After), up to `max` refusals in a row (refusals.ts). */
  refusals?: Omit<RefusalPolicy, 'signal'>;
  signal?: AbortSignal;
}

type RecordsEmbedder = Pick<Embedder, 'records' | 'recordSignature' | 'recordCovers' | 'mediaVectors' | 'mediaLoads'>;

/**
 * The `_source` fields to read for a pipeline's fields: each one and the fields an alias, a
 * multi-field or a `copy_to` target of them reads (`sources`: engine/mapping.ts `fieldSources`).
 */
export const sourceFieldsOf = (p: Pipeline, sources: ReadonlyMap<string, readonly string[]>): string[] => [...new Set([...pipelinePaths(p), ...[...sources.values()].flat()])];

/** `fields` and the pipeline's `ingest.ocr_text` field: read to know whether a document has it already (records.ts `addOcrText`). */
export const ocrFieldToo = (fields: string[], p: Pipeline): string[] => (p.ingest?.ocr_text !== undefined ? [...fields, p.ingest.ocr_text] : fields);

/**
 * Does `index` keep records as setup maps them, and their signatures? `sources`: its pipeline fields
 * that are an alias, a multi-field or a `copy_to` target, and the fields they read (fix20d: backfill
 * and write-back read documents as ingest and the search do, `withFieldSources`).
 */
export async function recordMappingOf(engine: Pick<EngineClient, 'json'>, pipeline: Pipeline, index: string, credentials?: Record<string, string>): Promise<{ records: boolean; keyed: boolean; updateDrops: string[]; noSource?: boolean; sources: Map<string, string[]>; mapping?: unknown }> {
  if (pipeline.features.store !== 'index') return { records: false, keyed: false, updateDrops: [], sources: new Map() };
  const m = await engine.json('GET', `/${encodeURIComponent(index)}/_mapping`, undefined, credentials);
  if (m.statusCode === 404) throw vlrError('VLR_NOT_FOUND', `no index [${index}]`, { status: 404 });
  if (m.statusCode !== 200) throw vlrError('VLR_UPSTREAM_ERROR', `reading the mapping of [${index}] failed: ${JSON.stringify(m.body).slice(0, 300)}`, { status: m.statusCode });
  const own = [pipeline.features.field, pipeline.features.keyField, pipeline.vectors.image?.field, pipeline.vectors.bridge?.field].filter((f): f is string => !!f);
  return { records: recordFieldMapped(m.body, pipeline.features.field), keyed: recordKeyMapped(m.body, pipeline.features.keyField), updateDrops: fieldsAnUpdateDrops(m.body, own), noSource: sourceDisabled(m.body), sources: fieldSources(m.body, pipelinePaths(pipeline)), mapping: m.body };
}

export async function backfillRecords(engine: EngineClient, pipeline: Pipeline, index: string, embedder: RecordsEmbedder, o: RecordsBackfillOptions = {}): Promise<RecordsBackfillProgress> {
  const mapping = await recordMappingOf(engine, pipeline, index);
  await vectorsFitIndex(engine, pipeline, index, mapping.mapping);
  if (!mapping.records) {
    throw vlrError(
      'VLR_BAD_REQUEST',
      `index [${index}] has no feature-record field [${pipeline.features.field}] stored (binary, store: true) and left out of _source; create the index with "vlrerank index setup" (an existing index cannot get it: reindex into a new one)`,
    );
  }
  // a partial update would drop the indexed values of fields left out of _source (probe round 12e)
  if (mapping.noSource) throw vlrError('VLR_BAD_REQUEST', sourceDisabledReason(index), { status: 400 });
  if (mapping.updateDrops.length) throw vlrError('VLR_BAD_REQUEST', updateDropsReason(index, mapping.updateDrops), { status: 400 });
  const keyed = mapping.keyed;
  const { field, keyField } = pipeline.features;
  const shape = recordShape(pipeline);
  const signature = await embedder.recordSignature(shape);
  const vectorFields = [pipeline.vectors.image?.field, pipeline.vectors.bridge?.field].filter((f): f is string => !!f);
  const stale = { bool: { must_not: { term: { [keyField]: signature } } } };
  // vectors added to a pipeline after its records were written: those documents too
  const query = !keyed ? { match_all: {} } : vectorFields.length ? { bool: { should: [stale, ...vectorFields.map((f) => ({ bool: { must_not: { exists: { field: f } } } }))], minimum_should_match: 1 } } : stale;
  // `ingest.ocr_text` (feat23o) is in the signature, so a document written without the field is
  // stale: one whose record serves gets the field from that record (no OCR run), stamped below
  const idx = encodeURIComponent(index);
  const count = await jsonWaitingOut429<{ count?: number }>(engine, `counting documents of [${index}]`, { ...o.refusals, signal: o.signal }, 'POST', `/${idx}/_count`, { query });
  if (count.statusCode !== 200) throw vlrError('VLR_UPSTREAM_ERROR', `counting documents of [${index}] failed: ${JSON.stringify(count.body).slice(0, 300)}`, { status: count.statusCode });
  const progress: RecordsBackfillProgress = { total: count.body.count ?? 0, done: 0, recorded: 0, failed: 0, conflicts: 0, skipped: 0, current: 0, replacedNewer: 0, fromStore: 0, failures: [] };
  o.onProgress?.({ ...progress });
  if (!progress.total) return progress;

  const batch = Math.max(1, o.batch ?? 32);
  const concurrency = Math.max(1, o.concurrency ?? 2);
  // an alias, a multi-field, a `copy_to` target read through the fields they read (fix20d)
  const { sources } = mapping;
  const sourceFields = ocrFieldToo(sourceFieldsOf(pipeline, sources), pipeline);
  const pages = scanIndex(engine, index, { query, size: batch, _source: sourceFields, storedFields: [field], refusals: o.refusals, signal: o.signal });
  const inflight = new Set<Promise<void>>();
  let writes: Promise<void> = Promise.resolve();
  /** Writes queued and not yet done (bounded by `concurrency`, so a slow cluster slows the reading). */
  const queued = new Set<Promise<void>>();
  let failure: unknown;
  let first = true;
  let started = 0;
  const t0 = performance.now();

  /** One page: records (and vectors) computed, then queued for writing after the pages before it. */
  const work = async (hits: ScanHit[], isFirst: boolean): Promise<void> => {
    // of several photos, the one its record was made from, else the first that loads (media-choice.ts)
    const docs = await Promise.all(hits.map((h) => ingestDocument(withFieldSources(h._source ?? {}, sources), pipeline, embedder, o.signal, unpackRecord(h.fields?.[field]))));
    const all = hits.map((h, i) => ({ h, d: docs[i] })).filter((x): x is { h: ScanHit; d: RecordDocument } => x.d !== undefined);
    // each record read is checked against the running configuration: without signatures, to find the
    // stale ones; with them, so that a record of another configuration that serves this one whole is
    // kept (its signature stamped) rather than computed again
    const kept = all.map((x) => unpackRecord(x.h.fields?.[field]));
    const covered = await Promise.all(all.map((x, i) => embedder.recordCovers(kept[i], x.d, shape.chunking, shape.weights)));
    // …unless it lacks the pipeline's vectors: then it is computed, as before, to add them
    if (keyed && vectorFields.length && covered.some(Boolean)) {
      const lacking = await withoutVectors(engine, index, all.filter((_, i) => covered[i]).map((x) => x.h._id), vectorFields, o.signal);
      all.forEach((x, i) => void (covered[i] &&= !lacking.has(x.h._id)));
    }
    const present = all.filter((_, i) => !covered[i]);
    const newer = new Set(present.filter((x) => isNewerRecord(kept[all.indexOf(x)])));
    const stamps = keyed ? all.filter((_, i) => covered[i]) : [];
    const current = keyed ? 0 : all.length - present.length;
    const out = present.length ? await embedder.records(present.map((x) => x.d), o.signal, { queryVectors: shape.queryVectors, chunking: shape.chunking, weights: shape.weights }) : { records: [], errors: [] };
    const errors = new Set(out.errors.map((e) => e.index));
    for (const e of out.errors) if (progress.failures.length < 20) progress.failures.push({ id: present[e.index]!.h._id, reason: e.reason });
    // the media features were just computed: the vectors come from the feature cache (all at once),
    // every document of the page listening to one child of the run's signal (one listener on it)
    const fan = fanOutSignal(o.signal);
    const vectors = await Promise.all(
      present.map(async (x, i) => {
        if (errors.has(i) || !vectorFields.length) return {};
        const withMedia: Record<string, unknown> = { ...x.h._source };
        const v = await addVectors(withMedia, pipeline, embedder, fan.signal, withFieldSources(x.h._source ?? {}, sources));
        return Object.fromEntries(v.added.map((f) => [f, withMedia[f]]));
      }),
    ).finally(fan.dispose);
    const lines: string[] = [];
    const kinds: Kind[] = [];
    /** Per line: the record's features were all read from the feature store. */
    const stored: boolean[] = [];
    for (const x of stamps) {
      // the record goes with its signature, as it was: a partial update rebuilds the document from
      // `_source`, which leaves both out (engine/mapping.ts) — the signature alone would drop the record
      const packed = x.h.fields?.[field];
      const doc = { [field]: Array.isArray(packed) ? packed[0] : packed, [keyField]: signature };
      addOcrText(doc, pipeline, kept[all.indexOf(x)], x.h._source); // its record's OCR text, when the document lacks it
      lines.push(backfillUpdate(x.h), JSON.stringify({ doc }));
      kinds.push('current');
      stored.push(false);
    }
    for (const [i, x] of present.entries()) {
      const partial: Record<string, unknown> = { [field]: packRecord(out.records[i]!) };
      if (!errors.has(i)) {
        if (keyed) partial[keyField] = signature;
        Object.assign(partial, vectors[i]);
        addOcrText(partial, pipeline, out.records[i], x.h._source);
      }
      // written where it lives: its own index and routing (without its routing the update went to the
      // shard of its id: document_missing, the run failed — held-out probe round 12e)
      lines.push(backfillUpdate(x.h), JSON.stringify({ doc: partial }));
      kinds.push(errors.has(i) ? 'failed' : newer.has(x) ? 'recordedNewer' : 'recorded');
      stored.push(out.computed?.[i] === false);
    }
    const skipped = hits.length - all.length;
    // the write is queued after the pages before it; this page's compute slot is free at once, so
    // the next page computes while this one is written (at most `concurrency` writes wait, below)
    const write = writes.then(async () => {
      if (lines.length) await writeBulk(engine, index, lines, kinds, stored, progress, { ...o.refusals, signal: o.signal });
      progress.skipped += skipped;
      progress.current += current;
      progress.done += hits.length;
      if (isFirst) o.onFirstBatch?.(present.map((x) => x.d), out.records);
      o.onProgress?.({ ...progress });
    });
    writes = write;
    queued.add(write);
    write.then(
      () => void queued.delete(write),
      (e: unknown) => {
        queued.delete(write);
        failure ??= e;
      },
    );
  };

  try {
    let next = pages.next();
    for (;;) {
      const page = await next;
      if (page.done || failure) break;
      progress.via ??= page.value.via;
      // the next page is read while this one is computed
      next = pages.next();
      next.catch(() => undefined);
      if (o.maxDocsPerSecond && o.maxDocsPerSecond > 0) {
        const wait = (started / o.maxDocsPerSecond) * 1000 - (performance.now() - t0);
        if (wait > 0) await sleep(wait, undefined, { signal: o.signal });
      }
      while (inflight.size >= concurrency) await Promise.race(inflight);
      while (queued.size >= concurrency) await Promise.race(queued).catch(() => undefined);
      if (failure || o.signal?.aborted) break;
      started += page.value.hits.length;
      const job: Promise<void> = work(page.value.hits, first).then(
        () => void inflight.delete(job),
        (e) => {
          inflight.delete(job);
          failure ??= e;
        },
      );
      first = false;
      inflight.add(job);
    }
    await next.catch(() => undefined);
  } catch (e) {
    if (!o.signal?.aborted) failure ??= e;
  } finally {
    await Promise.allSettled([...inflight]);
    await writes.catch(() => undefined);
    await pages.return(undefined).catch(() => undefined);
  }
  if (failure && !o.signal?.aborted) throw failure;
  if (o.signal?.aborted) progress.stopped = true;
  await engine.json('POST', `/${idx}/_refresh`).catch(() => undefined);
  return progress;
}

/**
 * One `_bulk` of partial updates (never aborted half-way); version conflicts are counted, anything
 * else fails the run. The engine's 429 — the whole request's, or some items' (a full write queue
 * rejects them unapplied) — is waited out and the refused part sent again (refusals.ts); a block's
 * 429 (the flood stage's `cluster_block_exception`) stops the run at once, in the engine's words.
 */
/** Which of these documents lack one of the vector fields (one search, ids only). */
async function withoutVectors(engine: EngineClient, index: string, ids: string[], fields: string[], signal?: AbortSignal): Promise<Set<string>> {
  const query = { bool: { filter: { ids: { values: ids } }, should: fields.map((f) => ({ bool: { must_not: { exists: { field: f } } } })), minimum_should_match: 1 } };
  const r = await engine.json<{ hits?: { hits?: Array<{ _id: string }> } }>('POST', `/${encodeURIComponent(index)}/_search`, { size: ids.length, _source: false, query }, undefined, { signal });
  if (r.statusCode !== 200) throw vlrError('VLR_UPSTREAM_ERROR', `reading which documents of [${index}] lack vectors failed: ${JSON.stringify(r.body).slice(0, 300)}`, { status: r.statusCode });
  return new Set((r.body.hits?.hits ?? []).map((h) => h._id));
}

/** What a written line counts as: `recordedNewer` is `recorded` over a newer build's record. */
type Kind = 'recorded' | 'failed' | 'current' | 'recordedNewer';

async function writeBulk(engine: EngineClient, index: string, lines: string[], kinds: Kind[], stored: boolean[], progress: RecordsBackfillProgress, policy: RefusalPolicy): Promise<void> {
  type Item = { update?: { status?: number; error?: { type?: string; reason?: string } } };
  const what = `writing feature records into [${index}]`;
  for (let refusal = 1; ; refusal++) {
    const r = await engine.json<{ errors?: boolean; items?: Item[] }>('POST', `/${encodeURIComponent(index)}/_bulk`, lines.join('\n') + '\n', { 'content-type': 'application/x-ndjson' });
    if (r.statusCode === 429 && !isBlockRefusal((r.body as { error?: unknown } | undefined)?.error)) {
      await waitOutRefusal(what, refusal, r.headers, policy);
      continue;
    }
    if (r.statusCode !== 200 || !Array.isArray(r.body?.items)) throw vlrError('VLR_UPSTREAM_ERROR', `${what} failed: ${JSON.stringify(r.body).slice(0, 500)}`, { status: r.statusCode >= 400 ? r.statusCode : 502 });
    let firstError: Item['update'];
    const refused: number[] = [];
    r.body.items.forEach((it, i) => {
      const u = it.update;
      // 409: changed since it was read; document_missing: deleted since (a partial update never
      // creates it again) — both the client's to keep, neither fails the run (probe round 12e)
      if (u?.status === 409 || (u?.status === 404 && u.error?.type === 'document_missing_exception')) progress.conflicts++;
      else if (u?.status === 429 && !isBlockRefusal(u.error)) refused.push(i);
      else if (u?.error || (u?.status ?? 200) >= 300) firstError ??= u;
      else {
        if (kinds[i] === 'recordedNewer') {
          progress.recorded++;
          progress.replacedNewer++;
        } else progress[kinds[i]!]++;
        if (stored[i]) progress.fromStore++;
      }
    });
    if (firstError) throw vlrError('VLR_UPSTREAM_ERROR', `${what} failed: ${firstError.error?.type ?? firstError.status}: ${firstError.error?.reason ?? ''}`.trim());
    if (!refused.length) return;
    await waitOutRefusal(what, refusal, r.headers, policy);
    lines = refused.flatMap((i) => [lines[2 * i]!, lines[2 * i + 1]!]);
    kinds = refused.map((i) => kinds[i]!);
    stored = refused.map((i) => stored[i]!);
  }
}
