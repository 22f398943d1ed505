/**
 * Exact kNN scores on Elasticsearch's quantised vector fields.
 *
 * Elasticsearch quantises a `dense_vector` by default (8.x: `int8_hnsw`) and scores kNN hits with the
 * quantised vectors, calibrated per segment: the same vector scored 0.99996, 0.99948, 0.99877 and
 * 0.99831 in four segments of one 8.19 index (held-out probe round 25b). Identical documents — a
 * product listed twice, one photo under two ids — then tie in the rerank but not in the first stage,
 * so their order (equal scores keep the first-stage order) and, with a `blend` fusion, their `_score`
 * depended on which segment each was written to, changed with merges and differed from 9.x (whose
 * `bbq_hnsw` default rescores). `rescore_vector` (Elasticsearch ≥ 8.18; updatable in place) makes the
 * engine rescore its kNN candidates with the float vectors it keeps anyway: one vector, one score.
 */
import type { EngineClient } from './client.js';

/** Index types whose kNN scores are of quantised vectors. */
const QUANTISED = new Set(['int8_hnsw', 'int4_hnsw', 'int8_flat', 'int4_flat', 'bbq_hnsw', 'bbq_flat']);
/** Candidates rescored per hit asked for: Elasticsearch 9's own default for `bbq_hnsw`. */
export const RESCORE_OVERSAMPLE = 3;

type FieldMappings = Record<string, { mappings?: Record<string, { full_name?: string; mapping?: Record<string, Record<string, unknown>> }> }>;

/** `{a: {properties: {b: leaf}}}` for the dotted path `a.b`. */
function nested(path: string, leaf: Record<string, unknown>): Record<string, unknown> {
  const keys = path.split('.');
  let out: Record<string, unknown> = { [keys[keys.length - 1]!]: leaf };
  for (const k of keys.slice(0, -1).reverse()) out = { [k]: { properties: out } };
  return out;
}

/**
 * Give each of `fields` (dense_vector fields of `index` on Elasticsearch) that scores by quantised
 * vectors without rescoring `rescore_vector: {oversample: 3}`. Returns a note for each field the
 * engine would not change (before 8.18 it has no such parameter), nothing when all went well. With
 * `change: false` (fields the index had before setup: a team's own mapping) nothing is changed and
 * each such field gets a note saying how to.
 */
export async function rescoreQuantisedVectors(engine: EngineClient, index: string, fields: readonly string[], change = true): Promise<string[]> {
  if (!fields.length) return [];
  const got = await engine.json<FieldMappings>('GET', `/${encodeURIComponent(index)}/_mapping/field/${fields.map(encodeURIComponent).join(',')}`);
  if (got.statusCode !== 200) return [];
  const notes: string[] = [];
  for (const m of Object.values(got.body ?? {}))
    for (const [path, f] of Object.entries(m.mappings ?? {})) {
      const def = Object.values(f.mapping ?? {})[0] as { type?: string; index_options?: { type?: string; rescore_vector?: unknown } } | undefined;
      const type = def?.index_options?.type;
      if (def?.type !== 'dense_vector' || !type || !QUANTISED.has(type) || def.index_options!.rescore_vector !== undefined) continue;
      const leaf = { ...def, index_options: { ...def.index_options, rescore_vector: { oversample: RESCORE_OVERSAMPLE } } };
      if (!change) {
        notes.push(`[${path}] is scored by kNN on ${type} vectors, calibrated per segment: identical documents may get different first-stage scores (their order and a blend's _score then vary with merges); to score them exactly: PUT /${index}/_mapping ${JSON.stringify({ properties: nested(path, leaf) })}`);
        continue;
      }
      const r = await engine.json('PUT', `/${encodeURIComponent(index)}/_mapping`, { properties: nested(path, leaf) });
      if (r.statusCode >= 300)
        notes.push(`[${path}] is scored by kNN on ${type} vectors, calibrated per segment: identical documents may get different first-stage scores (their order and a blend's _score then vary with merges); the engine refused rescore_vector (Elasticsearch 8.18 or later): ${JSON.stringify(r.body).slice(0, 200)}`);
    }
  return notes;
}
