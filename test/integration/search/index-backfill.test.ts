/**
 * `vlrerank index setup` on an index that already exists (adds the missing vector fields) and
 * `vlrerank index backfill` (adds vectors to documents indexed before the pipeline existed,
 * resumable: a second run finds nothing left; an unreadable photo is counted and left for a retry).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill, type BackfillProgress } from '../../../src/ingest/backfill.js';
import { setupIndex } from '../../../src/engine/mapping.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { catalog, ENGINES, groceryDoc, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-backfill-it';

describe.each(ENGINES)('index setup and backfill on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await p.engine.json('DELETE', `/${INDEX}`);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('adds vectors to documents indexed without them', async () => {
    // documents written straight to the engine (not through the proxy): no vectors
    const settings = engine === 'opensearch' ? { settings: { 'index.knn': true } } : {};
    await fetch(`${p.engineUrl}/${INDEX}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) });
    const docs = [...catalog.slice(20, 24).map(groceryDoc), { title: 'photo gone', image: '/nonexistent/x.jpg' }];
    const nd = docs.flatMap((d, i) => [JSON.stringify({ index: { _id: String(i) } }), JSON.stringify(d)]).join('\n') + '\n';
    await fetch(`${p.engineUrl}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });

    const setup = await setupIndex(p.engine, p.pipelines.get('grocery')!, INDEX);
    expect(setup.action).toBe('updated');
    expect(Object.keys(setup.mapping.properties as object)).toEqual(expect.arrayContaining(['image_vector', 'image_text_vector']));

    const embedder = new RerankerEmbedder(p.reranker);
    const seen: BackfillProgress[] = [];
    const r = await backfill(p.engine, p.pipelines.get('grocery')!, INDEX, embedder, { batch: 2, onProgress: (x) => seen.push({ ...x }) });
    expect(r).toEqual({ total: 5, done: 5, vectorized: 4, failed: 1, conflicts: 0 });
    expect(seen.length).toBeGreaterThan(1);
    const c = await p.engine.json<{ count: number }>('POST', `/${INDEX}/_count`, { query: { exists: { field: 'image_vector' } } });
    expect(c.body.count).toBe(4);
    // resumable: the next run only retries what is still missing
    const again = await backfill(p.engine, p.pipelines.get('grocery')!, INDEX, embedder, { batch: 2 });
    expect(again).toEqual({ total: 1, done: 1, vectorized: 0, failed: 1, conflicts: 0 });
  });
});
