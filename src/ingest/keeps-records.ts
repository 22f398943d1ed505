/**
 * Does an index keep feature records: is its record field mapped as `index setup` makes it (and
 * its signature field, to write beside)? Asked once per write request (indices are deleted and
 * created again under the same name), with the client's own credentials. A missing index (about
 * to be created by this write, mapped by guess) does not. A read the engine cut, refused (5xx,
 * 429, 401/403…) or answered unreadably is tried once more; failing again it is thrown with the
 * reason (VLR_UPSTREAM_*), for the write to say why its documents got no record — before, such a
 * document was stored without its record, unsaid (held-out probe round 8a).
 */
import { toVlrerankError, vlrError } from '../errors.js';
import { recordFieldMapped, recordKeyMapped } from '../engine/mapping.js';
import { clientReadHeaders } from '../engine/targets.js';
import { documentFromSource } from '../pipelines/document.js';
import type { Pipeline } from '../pipelines/index.js';
import type { UpstreamPool } from '../proxy/pool.js';
import type { Embedder } from '../rerank/embedder.js';
import { recordShape, type RecordTarget } from './records.js';

export interface RecordsDeps {
  pool: Pick<UpstreamPool, 'request'>;
  embedder?: Pick<Embedder, 'recordSignature'>;
}

/** One `GET /{index}/_mapping`: the answer, undefined for a missing index (404); throws on any other failure. */
async function readMapping(deps: RecordsDeps, index: string, headers: readonly string[], signal: AbortSignal | undefined): Promise<unknown> {
  const up = await deps.pool.request({ method: 'GET', path: `/${encodeURIComponent(index)}/_mapping`, headers: clientReadHeaders(headers), signal, idempotent: true });
  const text = await up.body.text();
  if (up.statusCode === 404) return undefined;
  if (up.statusCode !== 200) throw vlrError('VLR_UPSTREAM_ERROR', `the engine answered ${up.statusCode}: ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw vlrError('VLR_UPSTREAM_ERROR', `the engine answered 200 with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

export async function keepsRecords(deps: RecordsDeps, index: string, req: { headers: readonly string[]; signal?: AbortSignal }, pipeline: Pipeline | undefined): Promise<RecordTarget | undefined> {
  if (pipeline?.features.store !== 'index') return undefined;
  let mapping: unknown;
  try {
    mapping = await readMapping(deps, index, req.headers, req.signal).catch(() => {
      req.signal?.throwIfAborted();
      return readMapping(deps, index, req.headers, req.signal); // once more: a cut read is usually a passing fault
    });
  } catch (e) {
    req.signal?.throwIfAborted();
    const v = toVlrerankError(e);
    throw vlrError(v.code, `the engine could not tell whether index [${index}] keeps feature records (its _mapping read failed twice): ${v.message}`, { cause: e });
  }
  if (!recordFieldMapped(mapping, pipeline.features.field)) return undefined;
  const embedder = deps.embedder;
  if (!embedder || !recordKeyMapped(mapping, pipeline.features.keyField)) return {};
  let sig: Promise<string> | undefined;
  return { signature: () => (sig ??= embedder.recordSignature(recordShape(pipeline))) };
}

/** A `_bulk` item's or a document's `vlrerank.error` for a record not added because `keepsRecords` failed. */
function recordsUnknown(e: unknown): { type: string; reason: string; vlrerank_code: string } {
  const v = toVlrerankError(e);
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
