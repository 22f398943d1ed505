/**
 * Add a pipeline's vectors to documents already in an index: read the documents that lack the
 * vector fields page by page (a stopped run resumes where it left off — done documents no longer
 * match), compute the vectors, and write them with `_bulk` partial updates. A document whose media
 * cannot be read is counted and skipped (it keeps matching, so a later run retries it). With
 * `featuresOnly` it only warms the feature cache (precompute) without writing.
 *
 * Each write is conditioned on the `_seq_no`/`_primary_term` read and names the document's routing
 * (held-out probe round 12e: a document the client overwrote while its vectors were computed got
 * the vectors of the photo it had before, one it deleted failed the whole run, a routed one on an
 * index of several shards was looked for on the shard of its id). A document changed since it was
 * read is a conflict: still missing its vectors, it is read again on a later page; a deleted one
 * stays deleted (a partial update never creates a document).
 */
import { vlrError } from '../errors.js';
import type { Pipeline } from '../pipelines/index.js';
import type { EngineClient } from '../engine/client.js';
import type { Embedder } from '../rerank/embedder.js';
import { addVectors } from './vectors.js';
import { fieldSources, vectorsFitIndex } from '../engine/mapping.js';
import { withFieldSources } from '../pipelines/document.js';
import { backfillUpdate, fieldsAnUpdateDrops, sourceDisabled, sourceDisabledReason, updateDropsReason } from './backfill-source.js';
import { jsonWaitingOut429, type RefusalPolicy } from '../engine/refusals.js';

export interface BackfillProgress {
  total: number;
  done: number;
  vectorized: number;
  failed: number;
  /** Documents changed or deleted by someone else between read and write (changed ones are read again). */
  conflicts?: number;
}

export interface BackfillOptions {
  batch?: number;
  concurrency?: number;
  onProgress?(p: BackfillProgress): void;
  /** The engine's 429 on a write: waited out (its Retry-After), up to `max` refusals in a row (refusals.ts). */
  refusals?: Omit<RefusalPolicy, 'signal'>;
  signal?: AbortSignal;
}

interface SearchHit {
  _id: string;
  _index?: string;
  _routing?: string;
  _seq_no?: number;
  _primary_term?: number;
  _source: Record<string, unknown>;
}

export async function backfill(engine: EngineClient, pipeline: Pipeline, index: string, embedder: Pick<Embedder, 'mediaVectors'>, o: BackfillOptions = {}): Promise<BackfillProgress> {
  const v = pipeline.vectors.image ?? pipeline.vectors.bridge;
  if (!v) throw vlrError('VLR_BAD_REQUEST', `pipeline [${pipeline.name}] has no vector fields to backfill`);
  const fields = [pipeline.vectors.image?.field, pipeline.vectors.bridge?.field].filter((f): f is string => !!f);
  const missing = { bool: { should: fields.map((f) => ({ bool: { must_not: { exists: { field: f } } } })), minimum_should_match: 1 } };
  const idx = encodeURIComponent(index);
  // a partial update would drop the indexed values of fields left out of _source (probe round 12e)
  const m = await engine.json('GET', `/${idx}/_mapping`);
  const media = [...pipeline.fields.image, ...pipeline.fields.video];
  // an alias, a multi-field, a `copy_to` target read through the fields they read, as ingest does (fix20d)
  const sources = m.statusCode === 200 ? fieldSources(m.body, media) : new Map<string, string[]>();
  if (m.statusCode === 200) {
    await vectorsFitIndex(engine, pipeline, index, m.body);
    if (sourceDisabled(m.body)) throw vlrError('VLR_BAD_REQUEST', sourceDisabledReason(index), { status: 400 });
    const drops = fieldsAnUpdateDrops(m.body, [...fields, pipeline.features.field, pipeline.features.keyField]);
    if (drops.length) throw vlrError('VLR_BAD_REQUEST', updateDropsReason(index, drops), { status: 400 });
  }
  const policy = { ...o.refusals, signal: o.signal };
  const count = await jsonWaitingOut429<{ count?: number }>(engine, `counting documents of [${index}]`, policy, 'POST', `/${idx}/_count`, { query: missing });
  if (count.statusCode !== 200) throw vlrError('VLR_UPSTREAM_ERROR', `counting documents of [${index}] failed: ${JSON.stringify(count.body).slice(0, 300)}`, { status: count.statusCode });
  const progress: BackfillProgress = { total: count.body.count ?? 0, done: 0, vectorized: 0, failed: 0, conflicts: 0 };
  o.onProgress?.(progress);
  const batch = o.batch ?? 32;
  const read = [...new Set([...media, ...[...sources.values()].flat()])];
  const failed: string[] = [];
  /** Conflicts per document: one that loses 3 times in a row is left to a later run (never a loop). */
  const lostTimes = new Map<string, number>();
  // Always read the first page of documents still missing vectors: written ones drop out (the bulk
  // refreshes), failed ones are excluded by id. No scroll context to expire on a long run, and a
  // stopped run resumes where it left off. (Sorting on _id is refused by Elasticsearch 8.)
  for (;;) {
    if (o.signal?.aborted) break;
    const page = await jsonWaitingOut429<{ hits?: { hits?: SearchHit[] } }>(engine, `reading [${index}]`, policy, 'POST', `/${idx}/_search`, {
      size: batch,
      query: failed.length ? { bool: { filter: missing, must_not: { ids: { values: failed } } } } : missing,
      _source: read.length ? read : false,
      seq_no_primary_term: true,
    });
    if (page.statusCode !== 200) throw vlrError('VLR_UPSTREAM_ERROR', `reading [${index}] failed: ${JSON.stringify(page.body).slice(0, 300)}`, { status: page.statusCode });
    const hits = page.body.hits?.hits ?? [];
    if (!hits.length) break;
    const lines: string[] = [];
    const conc = o.concurrency ?? 4;
    for (let i = 0; i < hits.length; i += conc) {
      const slice = hits.slice(i, i + conc);
      const done = await Promise.all(
        slice.map(async (h) => {
          const doc = { ...h._source };
          const r = await addVectors(doc, pipeline, embedder, o.signal, withFieldSources(h._source, sources));
          return { h, doc, r };
        }),
      );
      for (const { h, doc, r } of done) {
        progress.done++;
        if (r.error || !r.added.length) {
          progress.failed++;
          failed.push(h._id);
          continue;
        }
        const partial = Object.fromEntries(r.added.map((f) => [f, doc[f]]));
        lines.push(backfillUpdate(h), JSON.stringify({ doc: partial }));
      }
      o.onProgress?.(progress);
    }
    if (lines.length) {
      type Item = { update?: { _id?: string; status?: number; error?: { type?: string } } };
      const r = await jsonWaitingOut429<{ errors?: boolean; items?: Item[] }>(engine, `writing vectors into [${index}]`, policy, 'POST', `/${idx}/_bulk?refresh=true`, lines.join('\n') + '\n', { 'content-type': 'application/x-ndjson' });
      if (r.statusCode !== 200 || !Array.isArray(r.body.items)) throw vlrError('VLR_UPSTREAM_ERROR', `writing vectors into [${index}] failed: ${JSON.stringify(r.body).slice(0, 500)}`);
      const lost = (u: Item['update']) => u?.status === 409 || (u?.status === 404 && u.error?.type === 'document_missing_exception');
      const refused = r.body.items.find((it) => (it.update?.status ?? 500) >= 300 && !lost(it.update));
      if (refused) throw vlrError('VLR_UPSTREAM_ERROR', `writing vectors into [${index}] failed: ${JSON.stringify(refused).slice(0, 500)}`);
      for (const it of r.body.items) {
        if (!lost(it.update)) {
          progress.vectorized++;
          continue;
        }
        progress.conflicts = (progress.conflicts ?? 0) + 1;
        const id = it.update?._id;
        if (id === undefined) continue;
        lostTimes.set(id, (lostTimes.get(id) ?? 0) + 1);
        if (lostTimes.get(id)! >= 3) failed.push(id);
      }
      o.onProgress?.(progress);
    }
  }
  await engine.json('POST', `/${idx}/_refresh`);
  return progress;
}
