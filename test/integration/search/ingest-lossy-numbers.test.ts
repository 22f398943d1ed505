/**
 * A document holding a number JSON.parse does not keep — a 64-bit id past 2^53, a literal past the
 * double range — written through the proxy into an index whose pipeline adds vectors, is stored as
 * sent (the engine keeps `_source` as it came and reads a `long` exactly), without vectors, the
 * item saying why. Before (held-out probe round 21c) the proxy parsed it, added vectors and
 * re-serialised it: `9007199254740993` was stored as `9007199254740992` (another id), and `1e400`,
 * which the engine refuses directly, was stored as `null`. Real Elasticsearch 8.19 and real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { catalog, groceryDoc, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-lossy-it';

describe('documents holding numbers JavaScript cannot keep, through the proxy (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  const image = groceryDoc(catalog[0]!).image as string;
  const big = `{"title":"a 64-bit id","sku":9007199254740993,"image":${JSON.stringify(image)}}`;
  const huge = `{"title":"out of range","weight":1e400,"image":${JSON.stringify(image)}}`;
  /** The stored `_source` as the engine's own text. */
  const sourceText = async (id: string) => {
    const r = await fetch(`${p.engineUrl}/${INDEX}/_source/${id}`);
    return { status: r.status, text: await r.text() };
  };
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch');
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('grocery')!, INDEX);
    await p.engine.json('PUT', `/${INDEX}/_mapping`, { properties: { sku: { type: 'long' }, weight: { type: 'double' } } });
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('_bulk: the id stored exactly, the out-of-range item refused by the engine as directly, the others with vectors', async () => {
    const body = [`{"index":{"_id":"big"}}`, big, `{"index":{"_id":"huge"}}`, huge, `{"index":{"_id":"ok"}}`, JSON.stringify({ title: 'plain', sku: 42, image }), ''].join('\n');
    const r = await fetch(`${p.url}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    const b = (await r.json()) as any;
    expect(r.status).toBe(200);
    expect(b.items[0].index.status).toBe(201);
    expect(b.items[0].index.vlrerank.error.reason).toContain('9007199254740993');
    expect((await sourceText('big')).text).toBe(big);
    expect(b.items[1].index.status).toBe(400); // the engine's refusal of 1e400, as directly
    expect((await sourceText('huge')).status).toBe(404);
    expect(b.items[2].index.status).toBe(201);
    expect(b.vlrerank).toMatchObject({ documents_with_vectors: 1, documents_without_vectors: 2 });
    const search = await p.engine.json<any>('POST', `/${INDEX}/_search`, { query: { term: { sku: '9007199254740993' } } });
    expect(search.body.hits.hits.map((h: any) => h._id)).toEqual(['big']);
  });

  it('_doc: stored as sent, the note naming the number', async () => {
    const r = await fetch(`${p.url}/${INDEX}/_doc/big-doc?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: big });
    const b = (await r.json()) as any;
    expect(r.status).toBe(201);
    expect(b.vlrerank.error.reason).toContain('9007199254740993');
    expect((await sourceText('big-doc')).text).toBe(big);
    const h = await fetch(`${p.url}/${INDEX}/_doc/huge-doc?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: huge });
    expect(h.status).toBe(400);
    await h.body?.cancel();
    expect((await sourceText('huge-doc')).status).toBe(404);
  });
});
