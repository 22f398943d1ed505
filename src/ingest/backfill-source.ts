/**
 * What a partial update would lose (held-out probe round 12e). Backfill and the record write-back
 * write with `update` + `doc`: the engine rebuilds each document from its stored `_source` and
 * indexes that again. A field the index leaves out of `_source` (`_source.excludes`, or everything
 * outside `_source.includes`) is indexed from the client's original write only — after the update
 * it is gone from the index (a `term` query on it matches no more; checked on Elasticsearch 8.19).
 * vlrerank's own fields (the record, its signature, the vectors) are in the partial `doc` and so
 * indexed again: excluding those loses nothing. A disabled `_source` gives backfill nothing to
 * compute from (`sourceDisabled`: refused up front, where the engine's search error said so late).
 */
type Source = { enabled?: boolean | string; excludes?: string[]; includes?: string[] } | undefined;

/**
 * The `_source` filters of a `GET /{name}/_mapping` answer (every index of an alias) that a partial
 * update would drop indexed values for: each `excludes` entry naming none of `own`, and
 * `includes` (as `includes: [..]`) when set. Empty: updating is safe.
 */
export function fieldsAnUpdateDrops(mappingResponse: unknown, own: readonly string[]): string[] {
  const out = new Set<string>();
  for (const v of Object.values((mappingResponse ?? {}) as Record<string, { mappings?: { _source?: Source } }>)) {
    const s = v?.mappings?._source;
    if (!s || s.enabled === false || s.enabled === 'false') continue;
    for (const x of s.excludes ?? []) if (!own.includes(x)) out.add(x);
    if (s.includes?.length) out.add(`everything outside includes [${s.includes.join(', ')}]`);
  }
  return [...out];
}

/** The refusal's words: which fields, why, what to do. */
export function updateDropsReason(index: string, fields: string[]): string {
  return `index [${index}] leaves [${fields.join(', ')}] out of _source: backfill writes partial updates, which rebuild each document from _source and would drop the indexed values of those fields; add them to _source, or reindex into an index made by "vlrerank index setup" and backfill that one`;
}

/** Does some index of a `GET /{name}/_mapping` answer keep no `_source` (nothing to backfill from)? */
export function sourceDisabled(mappingResponse: unknown): boolean {
  return Object.values((mappingResponse ?? {}) as Record<string, { mappings?: { _source?: Source } }>).some((v) => {
    const e = v?.mappings?._source?.enabled;
    return e === false || e === 'false';
  });
}

export const sourceDisabledReason = (index: string): string =>
  `index [${index}] keeps no _source (_source.enabled: false): there is nothing to compute records or vectors from; reindex into an index that keeps _source`;

/**
 * The `_bulk` action line of backfill's partial update of a document it read: in the very index the
 * document was read from (`_index` of the hit), at the `_seq_no`/`_primary_term` read, with its
 * routing. The name backfill was given may stand for several indices — a data stream (which refuses
 * an update by `_id` unless it names the backing index: the run failed at its first write), an alias
 * rolled over (the update went to the write index alone: each document of an older index was
 * `document_missing`, counted a conflict and never written), a wildcard over dated indices
 * (held-out probe round 19b).
 */
export function backfillUpdate(h: { _id: string; _index?: string; _routing?: string; _seq_no?: number; _primary_term?: number }): string {
  return JSON.stringify({
    update: {
      _id: h._id,
      ...(typeof h._index === 'string' ? { _index: h._index } : {}),
      ...(typeof h._routing === 'string' ? { routing: h._routing } : {}),
      ...(h._seq_no !== undefined && h._primary_term !== undefined ? { if_seq_no: h._seq_no, if_primary_term: h._primary_term } : {}),
    },
  });
}
