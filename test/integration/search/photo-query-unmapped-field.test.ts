/**
 * A search by photo on an index that does not map the pipeline's image vector field: the kNN first
 * stage can find nothing there — Elasticsearch answered no hits (200) and OpenSearch its 400
 * "Field … is not knn_vector type", neither saying why (held-out probe round 11a). Now the same 400
 * on both engines, naming the field and `vlrerank index setup`. An index that maps the field but
 * holds nothing is an empty answer, as before; a plain kNN the client wrote is the engine's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, clientSearchRaw, freshIndex, groceryQueries, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const BARE = 'photo-unmapped-it';
const EMPTY = 'photo-unmapped-empty-it';
const photo = groceryQueries(20)[0]!.image;
const byPhoto = { size: 3, ext: { vlrerank: { pipeline: 'grocery', query: { image: photo }, window: 5 } } };

describe.each(ENGINES)('search by photo on an index without its vector field on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await p.engine.json('DELETE', `/${BARE}`);
    await p.engine.json('PUT', `/${BARE}`, { mappings: { properties: { title: { type: 'text' }, image: { type: 'keyword' } } } });
    await p.engine.json('PUT', `/${BARE}/_doc/1?refresh=true`, { title: 'green apple', image: photo });
    await freshIndex(p, p.pipelines.get('grocery')!, EMPTY);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${BARE}`);
    await p?.engine.json('DELETE', `/${EMPTY}`);
    await p?.close();
  });

  it('is a 400 naming the field, the index and `vlrerank index setup`', async () => {
    const r = await clientSearchRaw(engine, p.url, { index: BARE, body: byPhoto });
    expect(r.statusCode, JSON.stringify(r.body)).toBe(400);
    expect(r.body.status).toBe(400);
    expect(r.body.error.type).toBe('illegal_argument_exception');
    expect(r.body.error).toMatchObject({ index: BARE, field: 'image_vector', vlrerank_code: 'VLR_BAD_REQUEST' });
    expect(r.body.error.reason).toContain('[image_vector]');
    expect(r.body.error.reason).toContain(`vlrerank index setup ${BARE} --pipeline grocery`);
    expect(r.body.error.reason).toContain('vlrerank index backfill');
  });

  it('the same through a wildcard that matches only such indices; a missing index keeps the engine answer', async () => {
    const r = await clientSearchRaw(engine, p.url, { index: 'photo-unmapped-i*', body: byPhoto });
    expect(r.statusCode, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error.reason).toContain('vlrerank index setup');
    const missing = await clientSearchRaw(engine, p.url, { index: 'photo-unmapped-nothing-here', body: byPhoto });
    expect(missing.statusCode).toBe(404);
    expect(missing.body.error.type).toBe('index_not_found_exception');
  });

  it('an index that maps the field but holds nothing answers no hits, not flagged', async () => {
    const r = await clientSearchRaw(engine, p.url, { index: EMPTY, body: byPhoto });
    expect(r.statusCode, JSON.stringify(r.body)).toBe(200);
    expect(r.body.hits.hits).toEqual([]);
    expect(r.body.vlrerank.degraded).toBe(false);
  });
});
