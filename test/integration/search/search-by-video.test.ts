/**
 * Video indices through the proxy: clips indexed with their frame-averaged visual and bridge
 * vectors added at ingest (ffmpeg sampling per the `videos` pipeline), then searched by an example
 * clip (kNN on the visual vector, then reranked) and by text with no title to lean on.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA } from '../../helpers/paths.js';
import { clientBulk, clientSearch, ENGINES, freshIndex, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'videos-it';
const V = join(DATA, 'intel-sample-videos', 'clips');
const clips = ['car-detection', 'classroom', 'fruit-and-vegetable-detection', 'store-aisle-detection', 'bottle-detection'];

describe.each(ENGINES)('video search through the proxy on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await freshIndex(p, p.pipelines.get('videos')!, INDEX);
    // titles are deliberately uninformative: only the frames can tell the clips apart
    const operations = clips.flatMap((c, i) => [{ index: { _index: INDEX, _id: c } }, { title: `clip ${i + 1}`, video: join(V, `${c}.mp4`) }]);
    const bulk = await clientBulk(engine, p.url, operations);
    expect(bulk.vlrerank).toEqual({ documents_with_vectors: clips.length, documents_without_vectors: 0, documents_with_feature_records: clips.length });
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('finds a clip by itself as the example', async () => {
    const r = await clientSearch(engine, p.url, { index: INDEX, body: { size: 3, _source: ['title'], ext: { vlrerank: { query: { video: join(V, 'classroom.mp4') }, window: 5 } } } });
    expect(r.vlrerank.degraded).toBe(false);
    expect(r.hits.hits[0]._id).toBe('classroom');
  });

  it('ranks clips by what their frames show for a text query', async () => {
    const r = await clientSearch(engine, p.url, { index: INDEX, body: { size: 5, _source: ['title'], ext: { vlrerank: { query: 'cars driving on a road', window: 5, explain: true } } } });
    expect(r.vlrerank.degraded).toBe(false);
    expect(r.hits.hits.slice(0, 2).map((h: any) => h._id)).toContain('car-detection');
  });
});
