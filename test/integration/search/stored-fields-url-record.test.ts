/**
 * `?stored_fields=` in the URL beside a rerank (held-out probe round 6): the engine reads the URL's
 * list over the body's, so the feature-record field vlrerank adds to the body was not fetched and
 * every hit's features were computed again — the same answer, slower (photos read, image models
 * run). The URL's list now goes into the body with the record field beside it; the record stays out
 * of the client's hits as with the body form. Elasticsearch 8.19, the grocery pipeline (records in
 * the index), the real models; a fresh vlrerank (no cached features) for each search.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchCounts } from '../../helpers/metrics.js';
import { catalog, clientBulk, freshIndex, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-url-stored-fields';
const FIELD = 'vlrerank_features';
const IMAGE_MODELS = ['efficientnet-lite2-imagenet', 'nanodet-g-coco'];
const dir = pipelinesDir();
let p: SearchProxy | undefined;

/** A fresh vlrerank (empty caches): what a restart gives. */
async function restart(): Promise<SearchProxy> {
  await p?.close();
  p = await startSearchProxy('elasticsearch', { pipelinesDir: dir });
  await p.reranker.warm.wait();
  return p;
}

async function search(s: SearchProxy, qs: string, body: Record<string, unknown>) {
  const before = await batchCounts(s.url);
  const r = await fetch(`${s.url}/${INDEX}/_search${qs}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const after = await batchCounts(s.url);
  const imageRuns = IMAGE_MODELS.reduce((n, m) => n + (after[m] ?? 0) - (before[m] ?? 0), 0);
  return { status: r.status, body: (await r.json()) as any, imageRuns };
}

beforeAll(async () => {
  const s = await restart();
  await freshIndex(s, s.pipelines.get('grocery')!, INDEX);
  const g = await clientBulk('elasticsearch', s.url, catalog.slice(0, 4).flatMap((c, i) => [{ index: { _index: INDEX, _id: `p${i}` } }, groceryDoc(c)]));
  expect(g.vlrerank).toMatchObject({ documents_with_feature_records: 4 });
}, 900_000);
afterAll(async () => {
  await p?.engine.json('DELETE', `/${INDEX}`);
  await p?.close();
});

describe('stored_fields in the URL beside a rerank (Elasticsearch 8.19)', () => {
  const ext = { vlrerank: { query: 'oat milk', window: 4, explain: true } };

  it('still fetches the record: no image model runs, every feature from the index, the record not in the hits', { timeout: 600_000 }, async () => {
    const url = await search(await restart(), '?stored_fields=title&_source=title', { size: 4, ext });
    expect(url.status, JSON.stringify(url.body)).toBe(200);
    expect(url.body.vlrerank.degraded).toBe(false);
    expect(url.body.hits.hits).toHaveLength(4);
    for (const h of url.body.hits.hits) {
      expect(h._vlrerank.explanation.features).toEqual({ text: 'index', image: 'index' });
      expect(h.fields?.[FIELD]).toBeUndefined();
      expect(Object.keys(h._source)).toEqual(['title']);
    }
    expect(url.imageRuns).toBe(0);

    // the body form, in another fresh process: the same hits, scores and client view
    const inBody = await search(await restart(), '', { size: 4, stored_fields: ['title'], _source: ['title'], ext });
    expect(inBody.imageRuns).toBe(0);
    const view = (b: any) => b.hits.hits.map((h: any) => [h._id, h._score, h._source, h.fields]);
    expect(view(url.body)).toEqual(view(inBody.body));
  });

  it('asked for by the client in the URL, the record shows in its hits, as in the body form', { timeout: 300_000 }, async () => {
    const r = await search(p!, `?stored_fields=${FIELD}&_source=title`, { size: 2, ext });
    expect(r.status).toBe(200);
    for (const h of r.body.hits.hits) expect(typeof h.fields[FIELD][0]).toBe('string');
  });
});
