/**
 * A document that repeats a key, written through the proxy into an index whose pipeline adds
 * vectors, ends as a direct write would: Elasticsearch refuses it ("Duplicate field"), per item in a
 * `_bulk` (the other items stored) and as a 400 on `_doc`. Before (held-out probe round 4), the
 * proxy parsed it (JSON.parse keeps the last value), added vectors and re-serialised it: the engine
 * stored the document with the first value lost. Real Elasticsearch 8.19 and real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { catalog, groceryDoc, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-dupkeys-it';
const engine = 'elasticsearch' as const;

describe('a document repeating a key, through the proxy (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  const image = groceryDoc(catalog[0]!).image as string;
  const dup = `{"title":"two photos","image":5,"image":${JSON.stringify(image)}}`;
  const status = async (id: string) => (await p.engine.json('GET', `/${INDEX}/_doc/${id}`)).statusCode;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('grocery')!, INDEX);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('_bulk: the engine refuses that item as it would directly, the others are stored with vectors', async () => {
    const body = [`{"index":{"_id":"dup"}}`, dup, `{"index":{"_id":"ok"}}`, JSON.stringify({ title: 'one photo', image }), ''].join('\n');
    const r = await fetch(`${p.url}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    const b = (await r.json()) as any;
    expect(r.status).toBe(200);
    expect(b.items[0].index.status).toBe(400);
    expect(b.items[0].index.error.reason).toContain("Duplicate field 'image'");
    expect(b.items[0].index.vlrerank.error.reason).toContain('repeats a key');
    expect(b.items[1].index.status).toBe(201);
    expect(b.vlrerank).toMatchObject({ documents_with_vectors: 1, documents_without_vectors: 1 });
    expect(await status('dup')).toBe(404);
    const ok = (await p.engine.json<any>('GET', `/${INDEX}/_doc/ok`)).body._source;
    expect(ok.image_vector).toHaveLength(1280);
  });

  it('_doc: the engine’s own 400, nothing stored', async () => {
    const r = await fetch(`${p.url}/${INDEX}/_doc/dup-doc?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: dup });
    const b = (await r.json()) as any;
    expect(r.status).toBe(400);
    expect(b.error.type).toBe('document_parsing_exception');
    expect(b.error.reason).toContain("Duplicate field 'image'");
    expect(await status('dup-doc')).toBe(404);
  });
});
