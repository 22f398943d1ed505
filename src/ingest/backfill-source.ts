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
