/**
 * A copy out of Elasticsearch 9.2 that carries each document's feature record but not its kNN
 * vectors — 9.2 leaves `dense_vector` fields out of `_source` unless `exclude_vectors: false` is
 * asked — written through the proxy into another engine: the vectors are taken from the carried
 * record when its image part was made under the running configuration from this very photo (its
 * key and content identity say so), with no model run; a record made from another photo is not
 * used and the vectors are computed, as before. Held-out probe round 17b, left: 66 model runs for
 * 24 photos whose records were carried (fix18).
 *
 * Tolerance: the features the models give are float16-rounded as a record keeps them (features/
 * store/tiered.ts, rerank/visual-text.ts), so a vector taken from a record is the computed one up to
 * ingest's rounding to 6 decimals and float32 sums: at most 2e-6 per value, cosine ≥ 1 − 1e-9
 * (measured: at most 1e-8).
 *
 * Real Elasticsearch 9.2 (source) and 8.19 (target), the official client, real models and grocery
 * photos; model runs from `vlrerank_model_runs_total` of a second vlrerank with empty caches.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { counterSum } from '../../helpers/metrics.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, clientBulk, freshIndex, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const SRC = 'f18-copy-src';
const DST = 'f18-copy-dst';
const FIELD = 'vlrerank_features';
const VECTORS = ['image_vector', 'image_text_vector'] as const;
const PIPELINE = `${readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
  .replace(/^name: grocery$/m, 'name: f18copy')
  .replace(/^index_patterns: .*$/m, 'index_patterns: [f18-copy-*]')}features: { store: index }\n`;
const DOCS = catalog.slice(0, 6).map(groceryDoc);

let from: SearchProxy | undefined;
let to: SearchProxy | undefined;
afterAll(async () => {
  await from?.engine.json('DELETE', `/${SRC}`).catch(() => undefined);
  await to?.engine.json('DELETE', `/${DST}`).catch(() => undefined);
  await from?.close();
  await to?.close();
});

const cosine = (a: number[], b: number[]) => {
  let ab = 0, aa = 0, bb = 0;
  a.forEach((x, i) => ((ab += x * b[i]!), (aa += x * x), (bb += b[i]! * b[i]!)));
  return ab / Math.sqrt(aa * bb);
};
function expectClose(got: number[], want: number[]): void {
  expect(got).toHaveLength(want.length);
  expect(Math.max(...got.map((x, i) => Math.abs(x - want[i]!)))).toBeLessThanOrEqual(2e-6);
  expect(cosine(got, want)).toBeGreaterThanOrEqual(1 - 1e-9);
}

it('a copy out of 9.2 carrying records without vectors: vectors from the usable records, 0 model runs; a record of another photo: computed', { timeout: 900_000 }, async () => {
  const dir = pipelinesDir({ 'f18copy.yaml': PIPELINE });
  // the source: photos written through vlrerank into Elasticsearch 9.2 (vectors and records computed)
  from = await startSearchProxy('elasticsearch9', { pipelinesDir: dir });
  await freshIndex(from, from.pipelines.get('f18copy')!, SRC);
  const b = await clientBulk('elasticsearch9', from.url, DOCS.flatMap((d, i) => [{ index: { _index: SRC, _id: String(i) } }, d]));
  expect(b.errors).toBe(false);
  await from.engine.json('POST', `/${SRC}/_refresh`);
  // the client's copy, as 17b's: `_source` and the record's stored field — 9.2 leaves the vectors out
  const copy = (await from.engine.json<any>('POST', `/${SRC}/_search`, { size: 100, sort: ['_doc'], stored_fields: ['_source', FIELD] })).body.hits.hits;
  expect(copy).toHaveLength(DOCS.length);
  for (const h of copy) {
    for (const v of VECTORS) expect(h._source[v]).toBeUndefined();
    expect(h.fields[FIELD]).toHaveLength(1);
  }
  // the vectors the models computed at the source
  const computed = new Map<string, Record<string, number[]>>();
  for (const h of (await from.engine.json<any>('POST', `/${SRC}/_search`, { size: 100, _source: { includes: [...VECTORS], exclude_vectors: false } })).body.hits.hits) computed.set(h._id, h._source);
  expect(computed.size).toBe(DOCS.length);
  await from.engine.json('DELETE', `/${SRC}`);
  await from.close();
  from = undefined;

  // the target: another vlrerank (empty caches) in front of Elasticsearch 8.19
  to = await startSearchProxy('elasticsearch', { pipelinesDir: dir });
  await freshIndex(to, to.pipelines.get('f18copy')!, DST);
  await to.reranker.warm.wait();
  const runs = () => counterSum(to!.url, 'vlrerank_model_runs_total');
  const r0 = await runs();
  const w = await clientBulk('elasticsearch', to.url, copy.flatMap((h: any) => [{ index: { _index: DST, _id: h._id } }, { ...h._source, [FIELD]: h.fields[FIELD][0] }]));
  expect(w.errors).toBe(false);
  expect(await runs()).toBe(r0);
  await to.engine.json('POST', `/${DST}/_refresh`);
  for (const h of copy) {
    const stored = (await to.engine.json<any>('GET', `/${DST}/_doc/${h._id}`)).body._source;
    for (const v of VECTORS) expectClose(stored[v], computed.get(h._id)![v]!);
  }

  // a record carried with another photo (the document's photo changed): not used, the vectors computed
  const swapped = { ...copy[0]._source, image: DOCS[1]!.image, [FIELD]: copy[0].fields[FIELD][0] };
  const s = await clientBulk('elasticsearch', to.url, [{ index: { _index: DST, _id: 'swapped' } }, swapped]);
  expect(s.errors).toBe(false);
  expect(await runs()).toBeGreaterThan(r0);
  const stored = (await to.engine.json<any>('GET', `/${DST}/_doc/swapped`)).body._source;
  for (const v of VECTORS) expectClose(stored[v], computed.get('1')![v]!);
});
