/**
 * Add a document's feature record (issue 12) before it is indexed, for pipelines that keep
 * records in the index (`features.store: index`): the rerank document the pipeline sees in the
 * source (its text fields, its first image and video) goes through `Embedder.records`, and the
 * record, packed (features/record/codec.ts), lands in the pipeline's `features.field` — a
 * `binary` stored field left out of `_source` by the mapping (engine/mapping.ts), so clients never
 * see it. A record already present is kept. A document whose media cannot be read gets a record of
 * what could be computed (its text); the reason is returned for the caller to report — the
 * document itself is never dropped. Mutates its target only.
 */
import { isDeepStrictEqual } from 'node:util';
import { toVlrerankError } from '../errors.js';
import { MAX_CHARS } from '../features/ocr-bands.js';
import { packRecord } from '../features/record/index.js';
import type { Pipeline } from '../pipelines/index.js';
import { setPath, valuesAt } from '../pipelines/document.js';
import type { Embedder, RecordSignatureShape } from '../rerank/embedder.js';
import { setOwn } from '../util/own-key.js';
import { ingestDocument } from './media-choice.js';

export interface RecordOutcome {
  added: boolean;
  error?: { type: string; reason: string; vlrerank_code: string };
}

/** What a pipeline's records hold (the shape their signature is computed for). */
export function recordShape(pipeline: Pipeline): RecordSignatureShape {
  const image = pipeline.fields.image.length > 0;
  const video = pipeline.fields.video.length > 0;
  // the text's query-side vector serves image and video queries only: a text-only pipeline never has one
  // the fields it reads count: a record made from other fields is another document's (records/keys.ts)
  const sources = { text: pipeline.fields.text, image: pipeline.fields.image, video: pipeline.fields.video };
  return { image, video, queryVectors: image || video, chunking: pipeline.scorer.chunking, sources, weights: pipeline.scorer.weights, ...(pipeline.scorer.fps ? { fps: pipeline.scorer.fps } : {}), ...(pipeline.scorer.max_frames ? { maxFrames: pipeline.scorer.max_frames } : {}), ...(pipeline.ingest?.ocr_text !== undefined ? { ocrText: pipeline.ingest.ocr_text } : {}) };
}

/** Where a record goes: the signature written beside it, when the index maps the signature field. */
export interface RecordTarget {
  signature?: () => Promise<string>;
}

/**
 * `doc`: the document as it will be stored (written into); `whole`: the whole document the record
 * describes, when `doc` is only part of it (an `_update`'s partial `doc` merged over the stored one).
 * With `target.signature`, a complete record (no media error) gets its signature beside it in
 * `features.keyField`; a record missing a part gets none, so backfill tries it again.
 */
export async function addRecord(doc: Record<string, unknown>, pipeline: Pipeline, embedder: Pick<Embedder, 'records' | 'mediaLoads'> | undefined, signal?: AbortSignal, whole: Record<string, unknown> = doc, target: RecordTarget = {}): Promise<RecordOutcome> {
  const field = pipeline.features.field;
  if (pipeline.features.store !== 'index' || doc[field] !== undefined) return { added: false };
  const rerankDoc = await ingestDocument(whole, pipeline, embedder, signal);
  if (!rerankDoc) return { added: false };
  try {
    if (!embedder) throw Object.assign(new Error('no embedder: the models are not available'), { code: 'VLR_MODEL_MISSING' });
    const out = await embedder.records([rerankDoc], signal, { queryVectors: recordShape(pipeline).queryVectors, chunking: pipeline.scorer.chunking, weights: pipeline.scorer.weights });
    doc[field] = packRecord(out.records[0]!);
    const e = out.errors[0];
    if (!e && target.signature) doc[pipeline.features.keyField] = await target.signature();
    const ocr = addOcrText(doc, pipeline, out.records[0]) ? '' : ocrNotAdded(doc, pipeline, rerankDoc.image);
    return { added: true, ...(e ? { error: { type: 'feature_record_exception', reason: `feature record without media features: ${e.reason}${ocr}`, vlrerank_code: e.code } } : {}) };
  } catch (e) {
    signal?.throwIfAborted();
    const err = toVlrerankError(e);
    const reason = err.code === 'VLR_INTERNAL' ? ((e as Error)?.message ?? 'internal error') : err.message;
    const ocr = ocrNotAdded(doc, pipeline, rerankDoc.image);
    return { added: false, error: { type: err.type, reason: `feature record not added: ${reason}${ocr}`, vlrerank_code: err.code } };
  }
}

/**
 * The text OCR read in a record's image (`""`: it read none), at most the OCR's own cap of
 * MAX_CHARS characters (features/ocr-bands.ts); undefined when the record has no OCR part.
 */
export function ocrTextOf(record: unknown): string | undefined {
  const t = (record as { image?: { ocr?: { t?: unknown } } } | undefined)?.image?.ocr?.t;
  return typeof t === 'string' ? t.slice(0, MAX_CHARS) : undefined;
}

/**
 * `ingest.ocr_text` (feat23o): the OCR text of the document's image, as its record (just made)
 * keeps it (`""`: OCR read no words), at that field — so a BM25 first stage finds a screenshot by
 * its words. A value the document (or `stored`, the document as stored: backfill) has there already
 * is kept. False when nothing was written: not
 * asked for, or the record has no OCR text (no image, its media unreadable, OCR off).
 */
export function addOcrText(doc: Record<string, unknown>, pipeline: Pipeline, record: unknown, stored: Record<string, unknown> = doc): boolean {
  const field = pipeline.ingest?.ocr_text;
  const text = ocrTextOf(record);
  if (field === undefined || text === undefined || valuesAt(doc, field).length > 0 || valuesAt(stored, field).length > 0) return false;
  setPath(doc, field, text);
  return true;
}

/** The words a document's error adds when its image's OCR text was asked for (`ingest.ocr_text`) and is not written. */
function ocrNotAdded(doc: Record<string, unknown>, pipeline: Pipeline, image: string | undefined): string {
  const field = pipeline.ingest?.ocr_text;
  return field !== undefined && image !== undefined && valuesAt(doc, field).length === 0 ? `; its OCR text [${field}] not added ("vlrerank index backfill" adds it)` : '';
}

/**
 * A record (or its signature) the client sent itself — carried over from another index by a copy
 * that asked for the stored field (a blue/green re-index, a move to another cluster) — into an
 * index that keeps no records (auto-created by the write, or created without `index setup`): the
 * engine would map the base64 by guess as `text`, show it in every `_source` and never read it,
 * and that mapping would keep records out of the index for good (`index setup` cannot change it;
 * held-out probe round 17b). The fields are taken out of the document (mutated) and the reason
 * returned for the write's answer; the document itself is stored. Undefined when it carries none.
 */
export function dropUnkeptRecord(doc: Record<string, unknown>, pipeline: Pipeline, index: string): RecordOutcome['error'] {
  if (pipeline.features.store !== 'index') return undefined;
  const { field, keyField } = pipeline.features;
  const carried = [field, keyField].filter((f) => doc[f] !== undefined);
  if (!carried.length) return undefined;
  for (const f of carried) delete doc[f];
  return {
    type: 'mapper_exception',
    reason: `feature record not kept: index [${index}] does not keep feature records (no binary stored [${field}] left out of _source), so the [${carried.join(', ')}] sent with the document were left out — in _source they would be shown in every answer and never read; "vlrerank index setup" on a new index, then copy into it`,
    vlrerank_code: 'VLR_BAD_REQUEST',
  };
}

/** An `_update`'s partial document merged over the stored one, as the engine merges it (objects recursively). */
export function mergedForUpdate(stored: Record<string, unknown> | undefined, partial: Record<string, unknown>): Record<string, unknown> {
  const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) {
      const cur = out[k];
      // setOwn: a field named `__proto__` stays a field (held-out probe round 24b)
      setOwn(out, k, v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur) ? merge(cur as Record<string, unknown>, v as Record<string, unknown>) : v);
    }
    return out;
  };
  return merge(stored ?? {}, partial);
}

/**
 * Would the engine answer this partial update `noop` (`detect_noop`, on by default): the stored
 * document already holds every value of the partial `doc`? Then nothing is added to it: a record
 * or vector added (the record is a stored field left out of `_source`, so it never compares equal)
 * turned each such update into a write — `result: updated`, a new version and seq_no — where the
 * engine answers `noop` directly (held-out probe round 5).
 */
export function isNoopUpdate(stored: Record<string, unknown> | undefined, partial: Record<string, unknown>): boolean {
  return stored !== undefined && isDeepStrictEqual(mergedForUpdate(stored, partial), stored);
}

/** Does a partial document name one of the pipeline's media fields (its vectors would be added)? */
export function touchesMedia(partial: Record<string, unknown>, pipeline: Pipeline): boolean {
  return [...pipeline.fields.image, ...pipeline.fields.video].some((f) => f.split('.')[0]! in partial);
}
