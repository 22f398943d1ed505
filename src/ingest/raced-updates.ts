/**
 * A `_bulk` update whose partial `doc` got the record of the document it makes (stored ⊕ partial)
 * was computed from the stored document as read at version V. Answered `updated` at any version but
 * V + 1, another write of that document landed in between, and the engine merged the partial onto
 * *that* document — the record describes another write's photo or text (held-out probe round 31g:
 * a title update and another client's new photo, the final document kept the old photo's record,
 * Elasticsearch 8.19 and OpenSearch 2.19 alike). Such a document's record is taken out at once —
 * a partial update conditioned on the version the engine answered, before the client is answered,
 * whose item then names the version that update left (the client's next `if_seq_no` write
 * matches) and says why there is no record: searches compute its features, `vlrerank index
 * backfill` (or the write-back) writes it. Never a record of another document; at worst none.
 * A single `_update` is conditioned instead (update-condition.ts); a `_bulk`'s action line has left
 * before its document is computed, so its items are checked after.
 */
import type { UpstreamPool } from '../proxy/pool.js';
import { forwardRequestHeaders, withoutHeaders } from '../proxy/hop-by-hop.js';
import type { BulkReport } from './bulk-line.js';
import { bulkAnswer, slotOf } from './bulk-report.js';
import { pathParam } from './path-params.js';

type Item = { _index?: string; _id?: string; status?: number; result?: string; _version?: number; _seq_no?: number; _primary_term?: number };
const DROP = new Set(['content-length', 'content-encoding', 'accept-encoding']);

export const RACED_NOTE = {
  type: 'version_conflict_engine_exception',
  reason: 'feature record not kept: another write of this document landed while vlrerank computed it from the document before, so it would describe that other document; searches compute its features, "vlrerank index backfill" writes it',
  vlrerank_code: 'VLR_WRITE_RACED',
} as const;

/** The engine's answer text as the client should see it, raced updates' records taken out. */
export async function settleRacedUpdates(deps: { pool: Pick<UpstreamPool, 'request'> }, req: { path: string; headers: readonly string[]; signal?: AbortSignal }, report: BulkReport, text: string): Promise<string> {
  if (!report.readVersions?.size) return text;
  const answer = bulkAnswer<Item>(text);
  if (!answer) return text;
  const { body, items } = answer;
  const slot = slotOf(items, report.ids);
  const raced: Array<{ i: number; it: Item; fields: string[]; routing?: string }> = [];
  for (const [i, r] of report.readVersions) {
    const it = items[slot(i)]?.update;
    if (it && (it.status ?? 500) < 300 && it.result === 'updated' && typeof it._version === 'number' && it._version !== r.version + 1 && it._seq_no !== undefined) raced.push({ i, it, fields: r.fields, routing: r.routing });
  }
  if (!raced.length) return text;
  const lines = raced.flatMap(({ it, fields, routing }) => [
    JSON.stringify({ update: { _index: it._index, _id: it._id, ...(routing !== undefined ? { routing } : {}), if_seq_no: it._seq_no, if_primary_term: it._primary_term } }),
    JSON.stringify({ doc: Object.fromEntries(fields.map((f) => [f, null])) }),
  ]);
  const refresh = pathParam(req.path, 'refresh');
  const up = await deps.pool.request({
    method: 'POST',
    path: `/_bulk${refresh !== undefined ? `?refresh=${encodeURIComponent(refresh)}` : ''}`,
    headers: [...withoutHeaders(forwardRequestHeaders(req.headers), DROP), 'content-type', 'application/x-ndjson'],
    body: lines.join('\n') + '\n',
    signal: req.signal,
    idempotent: false,
  });
  const second = bulkAnswer<Item>(await up.body.text());
  if (up.statusCode !== 200 || !second) return text;
  raced.forEach(({ i, it }, k) => {
    const again = second.items[k]?.update;
    if (!again || (again.status ?? 500) >= 300) return; // written again meanwhile: that write's answer is its own
    Object.assign(it, { _version: again._version, _seq_no: again._seq_no, _primary_term: again._primary_term });
    const a = report.added.get(i);
    if (a) a.recorded = 0;
    (report.notes ??= new Map()).set(i, RACED_NOTE);
  });
  return JSON.stringify(body);
}

