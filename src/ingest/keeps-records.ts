/**
 * Does an index keep feature records: is its record field mapped as `index setup` makes it (and
 * its signature field, to write beside)? Does it map the pipeline's vectors as vectors? Asked once
 * per `_bulk` request, with the client's own credentials; a single-document write may `reuse` a
 * concrete index's mapping kept briefly (engine/write-mapping.ts `WriteMappings`: indices are
 * deleted and created again under the same name, which the engine's answers then say). A missing index (about to be created by this write) is judged by the mapping its
 * templates give it (engine/write-mapping.ts); with none, it keeps no record. A read the engine cut, refused (5xx,
 * 429, 401/403…) or answered unreadably is tried once more; failing again it is thrown with the
 * reason (VLR_UPSTREAM_*), for the write to say why its documents got no record — before, such a
 * document was stored without its record, unsaid (held-out probe round 8a).
 */
import { toVlrerankError, vlrError } from '../errors.js';
import { fieldSources, recordFieldMapped, unmappedFields, recordKeyMapped, unmappedVectorFields } from '../engine/mapping.js';
import { writeMapping, type WriteMapping, type WriteMappings } from '../engine/write-mapping.js';
import { clientReadHeaders } from '../engine/targets.js';
import { isEngineRefusal } from '../engine/auth-refusal.js';
import { documentFromSource, hasValue, pipelinePaths, unreadValues } from '../pipelines/document.js';
import type { Pipeline } from '../pipelines/index.js';
import type { UpstreamPool } from '../proxy/pool.js';
import type { Embedder } from '../rerank/embedder.js';
import { recordShape, type RecordTarget } from './records.js';

export interface RecordsDeps {
  pool: Pick<UpstreamPool, 'request'>;
  embedder?: Pick<Embedder, 'recordSignature'>;
  /** Mappings of concrete indices kept briefly for single-document writes (engine/write-mapping.ts); without it, read at every write. */
  mappings?: WriteMappings;
}

/** A document's `vlrerank.error` (a `_bulk` item's, or a `_doc`'s answer). */
export type ItemError = { type: string; reason: string; vlrerank_code: string };

/** What a write into an index gets from its pipeline: a record target where records are kept; why vectors are not added, when they are not. */
export interface WriteTarget {
  records?: RecordTarget;
  noVectors?: ItemError;
  /** Judged from a mapping kept from an earlier write (`reuse`), not read for this one. */
  kept?: boolean;
  /**
   * The concrete index the write was judged by, when the name it names is an alias or a data stream:
   * a rollover may move the write elsewhere before it is sent (held-out probe round 19b).
   */
  judgedBy?: string;
  /**
   * Pipeline fields a written document does not hold as keys, and the fields they read (an alias,
   * a multi-field, a `copy_to` target: engine/mapping.ts `fieldSources`), from the same mapping
   * read: vectors and records come from what the search reads (fix20c). Read through
   * pipelines/document.ts `withFieldSources`.
   */
  sources?: Map<string, string[]>;
  /** Pipeline fields the existing index does not map at all (engine/mapping.ts `unmappedFields`): `unreadNote`. */
  unmapped?: string[];
}

/** The mapping the write lands in (engine/write-mapping.ts), read once more when the first read fails. */
async function readMapping(deps: RecordsDeps, index: string, req: { headers: readonly string[]; signal?: AbortSignal }, reuse: boolean): Promise<WriteMapping & { kept?: boolean }> {
  const o = { pool: deps.pool, headers: clientReadHeaders(req.headers), signal: req.signal };
  const kept = reuse ? deps.mappings?.get(index, o.headers) : undefined;
  if (kept) return { ...kept, kept: true };
  try {
    const m = await writeMapping(o, index).catch((e: unknown) => {
      req.signal?.throwIfAborted();
      if (isEngineRefusal(e)) throw e; // the client's credentials refused: read again, refused again
      return writeMapping(o, index); // once more: a cut read is usually a passing fault
    });
    deps.mappings?.set(index, o.headers, m); // a `_bulk`'s fresh read serves the writes after it too
    return m;
  } catch (e) {
    req.signal?.throwIfAborted();
    // not authenticated: the write itself can only be the engine's 401 (the caller computes nothing for it)
    if (isEngineRefusal(e) && e.status === 401) throw e;
    if (isEngineRefusal(e)) throw vlrError('VLR_UPSTREAM_ERROR', `the engine refused to show index [${index}]'s mapping to these credentials (${e.status})`);
    const v = toVlrerankError(e);
    throw vlrError(v.code, `the engine could not tell whether index [${index}] keeps feature records (its _mapping read failed twice): ${v.message}`, { cause: e });
  }
}

/**
 * Records and vectors for a write into `index`, from the mapping it lands in: the index's, or for
 * one the write creates, the mapping its templates give it (an index with none maps no record).
 * Vectors are added only where they are mapped as vectors (or the mapping is not known): mapped by
 * guess they cost the document (see write-mapping.ts). Throws when the mapping cannot be read.
 */
export async function writeTarget(deps: RecordsDeps, index: string, req: { headers: readonly string[]; signal?: AbortSignal }, pipeline: Pipeline | undefined, reuse = false): Promise<WriteTarget> {
  const records = pipeline?.features.store === 'index';
  const vectors = !!pipeline && (pipeline.vectors.image !== undefined || pipeline.vectors.bridge !== undefined);
  if (!pipeline || (!records && !vectors)) return {};
  const { answer, from, kept } = await readMapping(deps, index, req, reuse);
  const judged = from === 'index' && answer && typeof answer === 'object' ? Object.keys(answer) : [];
  const sources = from !== 'unknown' ? fieldSources(answer, pipelinePaths(pipeline)) : undefined;
  const unmappedPaths = from === 'index' ? unmappedFields(answer, pipelinePaths(pipeline)) : [];
  const out: WriteTarget = { ...(kept ? { kept } : {}), ...(judged.length === 1 && judged[0] !== index ? { judgedBy: judged[0] } : {}), ...(sources?.size ? { sources } : {}), ...(unmappedPaths.length ? { unmapped: unmappedPaths } : {}) };
  // the engine would not say how the index maps them (templates unreadable to these credentials):
  // vectors mapped by guess cost the document, so it is stored as sent and says why (held-out probe round 16a)
  if (vectors && from === 'unknown') out.noVectors = vectorsUnknown(`the engine would not show these credentials the templates index [${index}] is created from`);
  const unmapped = vectors && from !== 'unknown' ? unmappedVectorFields(answer, pipeline) : [];
  if (unmapped.length) {
    const where = from === 'index' ? `index [${index}] does not map` : from === 'template' ? `the templates index [${index}] is created from do not map` : `index [${index}] does not exist and no template maps`;
    out.noVectors = { type: 'mapper_exception', reason: `vectors not added: ${where} [${unmapped.join(', ')}] as vectors of the pipeline's dims (mapped by guess or at another size they would be refused or shown in _source); "vlrerank index setup" (or a template that maps them) then "vlrerank index backfill" adds them`, vlrerank_code: 'VLR_BAD_REQUEST' };
  }
  if (!records || !recordFieldMapped(answer, pipeline.features.field)) return out;
  const embedder = deps.embedder;
  if (!embedder || !recordKeyMapped(answer, pipeline.features.keyField)) return { ...out, records: {} };
  let sig: Promise<string> | undefined;
  return { ...out, records: { signature: () => (sig ??= embedder.recordSignature(recordShape(pipeline))) } };
}

/**
 * Why vectors were not added to a document whose index mapping is unknown (`why`, or `writeTarget`'s
 * failure): added by guess they would be mapped as numbers, and the engine would refuse the document
 * it stores when sent directly.
 */
export function vectorsUnknown(why: unknown): ItemError {
  const v = typeof why === 'string' ? undefined : isEngineRefusal(why) ? vlrError('VLR_UPSTREAM_ERROR', `the engine refused to show the index's mapping to these credentials (${why.status})`) : toVlrerankError(why);
  return { type: 'mapper_exception', reason: `vectors not added: ${typeof why === 'string' ? why : v!.message}; mapped by guess they would be refused — "vlrerank index backfill" adds them`, vlrerank_code: v?.code ?? 'VLR_UPSTREAM_ERROR' };
}

/** A `_bulk` item's or a document's `vlrerank.error` for a record not added because `writeTarget` failed. */
function recordsUnknown(e: unknown): ItemError {
  const v = isEngineRefusal(e) ? vlrError('VLR_UPSTREAM_ERROR', `the engine refused to show the index's mapping to these credentials (${e.status})`) : toVlrerankError(e);
  return { type: v.type, reason: `feature record not added: ${v.message}`, vlrerank_code: v.code };
}

/**
 * Why a document written while `keepsRecords` failed (`fault`) is stored without the record it
 * would have had: undefined when there is no fault, the client sent a record itself, or the
 * document (`whole`: an update's merged document) has nothing a record describes.
 */
export function recordMissing(fault: unknown, t: Record<string, unknown>, whole: Record<string, unknown> | undefined, pipeline: Pipeline): ReturnType<typeof recordsUnknown> | undefined {
  return fault !== undefined && t[pipeline.features.field] === undefined && documentFromSource(whole, pipeline) ? recordsUnknown(fault) : undefined;
}

/**
 * A document's note (its `vlrerank.note`) when a value of a pipeline field is not read — a number as
 * the photo, an object as the title (pipelines/document.ts `unreadValues`): no vectors or record
 * come from it, and before nothing said so (held-out probe round 28b). `whole` as in `unreadNote`.
 */
export function unreadValuesNote(whole: Record<string, unknown> | undefined, pipeline: Pipeline): ItemError | undefined {
  const u = whole ? unreadValues(whole, pipeline) : undefined;
  if (!u) return undefined;
  const more = u.count > 1 ? ` (and ${u.count - 1} more value${u.count > 2 ? 's' : ''} not read)` : '';
  return { type: 'illegal_argument_exception', reason: `${u.first}${more}, so no vectors or feature record come from it`, vlrerank_code: 'VLR_BAD_REQUEST' };
}

/**
 * A document's note (its `vlrerank.note`) when a pipeline field the index does not map at all
 * (`WriteTarget.unmapped`) has no value in it while another pipeline field has one: no vectors or
 * record come from that field, and before nothing said so (fix20c). `whole`: the document as the
 * pipeline reads it (an update's merged document, `withFieldSources`). A document with none of the
 * pipeline's fields, or an index that maps them all, gets none.
 */
export function unreadNote(whole: Record<string, unknown> | undefined, pipeline: Pipeline, on: WriteTarget | undefined, index: string): ItemError | undefined {
  if (!on?.unmapped?.length || !whole) return undefined;
  const has = (p: string) => hasValue(whole, p);
  const missing = on.unmapped.filter((p) => !has(p));
  if (!missing.length || !pipelinePaths(pipeline).some((p) => !missing.includes(p) && has(p))) return undefined;
  return {
    type: 'mapper_exception',
    reason: `pipeline field${missing.length > 1 ? 's' : ''} [${missing.join(', ')}] read nothing: index [${index}] maps no such field (nor a field alias, a multi-field or a copy_to target of that name; a runtime field is computed at search only), so no vectors or feature record come from it — name in the pipeline's fields the field the documents hold`,
    vlrerank_code: 'VLR_BAD_REQUEST',
  };
}
