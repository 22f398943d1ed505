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
 * The same for clips (fix19b): ingest now samples a clip's vectors as the pipeline's records do, so
 * a carried clip record serves too.
 *
 * Real Elasticsearch 9.2 (source) and 8.19 (target), the official client, real models, grocery
 * photos and three short Intel sample clips; model runs from `vlrerank_model_runs_total` of a second vlrerank with empty caches.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { counterSum } from '../../helpers/metrics.js';
import { DATA, REPO_ROOT } from '../../helpers/paths.js';
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
  for (const index of [SRC, 'f19b-clips-src']) await from?.engine.json('DELETE', `/${index}`).catch(() => undefined);
  for (const index of [DST, 'f19b-clips-dst']) await to?.engine.json('DELETE', `/${index}`).catch(() => undefined);
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

/**
 * Documents written through a vlrerank in front of Elasticsearch 9.2 (vectors and records
 * computed), copied out as 17b's client copies them (`_source` and the record's stored field: 9.2
 * leaves the vectors out), the source index then dropped. Returns the copy and the vectors the
 * models computed at the source.
 */
async function copyOutOf92(dir: string, pipeline: string, index: string, docs: Array<Record<string, unknown>>, vectors: readonly string[]) {
  from = await startSearchProxy('elasticsearch9', { pipelinesDir: dir });
  await freshIndex(from, from.pipelines.get(pipeline)!, index);
  const b = await clientBulk('elasticsearch9', from.url, docs.flatMap((d, i) => [{ index: { _index: index, _id: String(i) } }, d]));
  expect(b.errors).toBe(false);
  await from.engine.json('POST', `/${index}/_refresh`);
  const copy = (await from.engine.json<any>('POST', `/${index}/_search`, { size: 100, sort: ['_doc'], stored_fields: ['_source', FIELD] })).body.hits.hits;
  expect(copy).toHaveLength(docs.length);
  for (const h of copy) {
    for (const v of vectors) expect(h._source[v]).toBeUndefined();
    expect(h.fields[FIELD]).toHaveLength(1);
  }
  const computed = new Map<string, Record<string, number[]>>();
  for (const h of (await from.engine.json<any>('POST', `/${index}/_search`, { size: 100, _source: { includes: [...vectors], exclude_vectors: false } })).body.hits.hits) computed.set(h._id, h._source);
  expect(computed.size).toBe(docs.length);
  await from.engine.json('DELETE', `/${index}`);
  await from.close();
  from = undefined;
  return { copy, computed };
}

/** Another vlrerank (empty caches) in front of Elasticsearch 8.19, its index set up and its models warm; `runs`: its model runs so far. */
async function target(dir: string, pipeline: string, index: string) {
  to = await startSearchProxy('elasticsearch', { pipelinesDir: dir });
  await freshIndex(to, to.pipelines.get(pipeline)!, index);
  await to.reranker.warm.wait();
  return { p: to, runs: () => counterSum(to!.url, 'vlrerank_model_runs_total') };
}

/** Write the copy through the target's proxy: no model runs, and each document's vectors are the source's. */
async function expectCopiedWithoutRuns(t: Awaited<ReturnType<typeof target>>, index: string, copy: any[], computed: Map<string, Record<string, number[]>>, vectors: readonly string[]) {
  const r0 = await t.runs();
  const w = await clientBulk('elasticsearch', t.p.url, copy.flatMap((h: any) => [{ index: { _index: index, _id: h._id } }, { ...h._source, [FIELD]: h.fields[FIELD][0] }]));
  expect(w.errors).toBe(false);
  expect(await t.runs()).toBe(r0);
  await t.p.engine.json('POST', `/${index}/_refresh`);
  for (const h of copy) {
    const stored = (await t.p.engine.json<any>('GET', `/${index}/_doc/${h._id}`)).body._source;
    for (const v of vectors) expectClose(stored[v], computed.get(h._id)![v]!);
  }
  return r0;
}

it('a copy out of 9.2 carrying records without vectors: vectors from the usable records, 0 model runs; a record of another photo: computed', { timeout: 900_000 }, async () => {
  const dir = pipelinesDir({ 'f18copy.yaml': PIPELINE });
  const { copy, computed } = await copyOutOf92(dir, 'f18copy', SRC, DOCS, VECTORS);
  const t = await target(dir, 'f18copy', DST);
  const r0 = await expectCopiedWithoutRuns(t, DST, copy, computed, VECTORS);

  // a record carried with another photo (the document's photo changed): not used, the vectors computed
  const swapped = { ...copy[0]._source, image: DOCS[1]!.image, [FIELD]: copy[0].fields[FIELD][0] };
  const s = await clientBulk('elasticsearch', t.p.url, [{ index: { _index: DST, _id: 'swapped' } }, swapped]);
  expect(s.errors).toBe(false);
  expect(await t.runs()).toBeGreaterThan(r0);
  const stored = (await t.p.engine.json<any>('GET', `/${DST}/_doc/swapped`)).body._source;
  for (const v of VECTORS) expectClose(stored[v], computed.get('1')![v]!);
  await t.p.engine.json('DELETE', `/${DST}`);
  await t.p.close();
  to = undefined;
});

// fix19b (17b left it): ingest sampled a clip's kNN vectors at 1 fps / 16 frames whatever the
// pipeline said, and records at the pipeline's (1 fps / 32 frames by default), so a clip's carried
// record never served ingest: every copied clip ran the video models again. Now ingest samples as
// the pipeline's records do. The shipped `videos` pipeline, without its `max_frames: 16` (the default then).
const CLIPS_PIPELINE = `${readFileSync(join(REPO_ROOT, 'pipelines', 'videos.yaml'), 'utf8')
  .replace(/^name: videos$/m, 'name: f19bclips')
  .replace(/^index_patterns: .*$/m, 'index_patterns: [f19b-clips-*]')
  .replace(/^ {2}max_frames: 16\n/m, '')}features: { store: index }\n`;
const CLIP_VECTORS = ['video_vector', 'video_text_vector'] as const;
const CLIPS = ['people-detection', 'bolt-multi-size-detection', 'face-demographics-walking'].map((c, i) => ({ title: `clip ${i + 1}`, video: join(DATA, 'intel-sample-videos', 'clips', `${c}.mp4`) }));

it('a copy of clips out of 9.2 carrying records without vectors: vectors from the records, 0 model runs (the pipeline\'s default sampling)', { timeout: 900_000 }, async () => {
  expect(CLIPS_PIPELINE).not.toMatch(/^\s*max_frames\s*:/m); // the key, not a comment naming it
  const dir = pipelinesDir({ 'f19bclips.yaml': CLIPS_PIPELINE });
  const { copy, computed } = await copyOutOf92(dir, 'f19bclips', 'f19b-clips-src', CLIPS, CLIP_VECTORS);
  const t = await target(dir, 'f19bclips', 'f19b-clips-dst');
  await expectCopiedWithoutRuns(t, 'f19b-clips-dst', copy, computed, CLIP_VECTORS);
  await t.p.engine.json('DELETE', '/f19b-clips-dst');
});
