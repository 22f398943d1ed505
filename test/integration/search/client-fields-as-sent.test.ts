/**
 * A team's own fields beside the vectors vlrerank adds at ingest — its own vector (of another model,
 * another size) and its own `long` ids — reach the engine as the team sent them, and its searches'
 * clauses too (held-out probe round 21a). The proxy parsed each document (JSON.parse: numbers as
 * doubles), added vectors and a record and wrote it back with JSON.stringify: a `long` of
 * 1234567890123456789 was stored as 1234567890123456800 (every integer past 2^53 rounded — a
 * `term` on the real id then found nothing, or another document), `-0.0` as `0`; and a reranked
 * search's `term`/kNN `filter` on such an id asked the engine for the rounded one (other hits,
 * 200). Each write is compared with the same write sent to the engine directly; each search with
 * the engine's own hits. Real Elasticsearch 8.19 and OpenSearch 2.19 (both store `_source` as
 * sent), real models, Grocery photos.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { catalog, groceryDoc, isElasticsearch, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-sent-it';

// the team's own vector: 8 numbers as its serializer writes them (`-0.0`, `1.0`, exponents, 19 digits)
const VEC = '[-0.0,1.0,2.5000000E-1,-0.2672612419124243965,0.0,1e-7,0.5000000000000000000,-0.75]';
const ID = '1234567890123456789'; // a long past 2^53: JSON.parse reads 1234567890123456800
const NEAR = '1234567890123456800'; // another document's id, the one the rounded value names

/** The text of `key`'s value in a JSON text (a number, or an array of numbers). */
const token = (text: string, key: string): string | undefined => text.match(new RegExp(`"${key}":(\\[[^\\]]*\\]|-?[0-9][0-9.eE+-]*)`))?.[1];

describe.each(['elasticsearch', 'opensearch'] as const)("the team's own fields and clauses, as sent (%s)", (engine) => {
  let p: SearchProxy;
  const source = (id: string) => fetch(`${p.engineUrl}/${INDEX}/_source/${id}`).then((r) => r.text());
  const doc = (i: number, sku: string) => `{"title":${JSON.stringify(catalog[i]!.title)},"image":${JSON.stringify(groceryDoc(catalog[i]!).image)},"sku":${sku},"team_vec":${VEC}}`;
  const send = (base: string, method: string, path: string, body: string) =>
    fetch(`${base}${path}`, { method, headers: { 'content-type': path.includes('_bulk') ? 'application/x-ndjson' : 'application/json' }, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('grocery')!, INDEX);
    const teamVec = isElasticsearch(engine)
      ? { type: 'dense_vector', dims: 8, index: true, similarity: 'l2_norm' }
      : { type: 'knn_vector', dimension: 8, method: { name: 'hnsw', engine: 'lucene', space_type: 'l2' } };
    expect((await p.engine.json('PUT', `/${INDEX}/_mapping`, { properties: { sku: { type: 'long' }, team_vec: teamVec } })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('_bulk, _doc and _update through the proxy store the long and the vector as a direct write does', async () => {
    const bulk = (prefix: string) => `{"index":{"_id":"${prefix}bulk"}}\n${doc(0, ID)}\n{"index":{"_id":"${prefix}near"}}\n${doc(1, NEAR)}\n`;
    const proxied = await send(p.url, 'POST', `/${INDEX}/_bulk?refresh=true`, bulk(''));
    expect(proxied.body.errors).toBe(false);
    expect(proxied.body.vlrerank).toMatchObject({ documents_with_vectors: 2 });
    await send(p.engineUrl, 'POST', `/${INDEX}/_bulk?refresh=true`, bulk('direct-'));
    expect((await send(p.url, 'PUT', `/${INDEX}/_doc/doc?refresh=true`, doc(2, ID))).status).toBe(201);
    await send(p.engineUrl, 'PUT', `/${INDEX}/_doc/direct-doc?refresh=true`, doc(2, ID));
    // a partial update of the team's own fields (the engine merges it into the stored source)
    const partial = `{"doc":{"sku":9007199254740993,"team_vec":${VEC}}}`;
    expect((await send(p.url, 'POST', `/${INDEX}/_update/doc?refresh=true`, partial)).status).toBe(200);
    await send(p.engineUrl, 'POST', `/${INDEX}/_update/direct-doc?refresh=true`, partial);

    for (const id of ['bulk', 'near', 'doc']) {
      const [through, direct] = [await source(id), await source(`direct-${id}`)];
      expect(JSON.parse(through).image_vector).toHaveLength(1280); // vlrerank's vectors added beside the team's
      expect({ id, sku: token(through, 'sku'), team_vec: token(through, 'team_vec') }).toEqual({ id, sku: token(direct, 'sku'), team_vec: token(direct, 'team_vec') });
    }
    expect(token(await source('bulk'), 'sku')).toBe(ID);
    expect(token(await source('doc'), 'sku')).toBe('9007199254740993');
    expect(token(await source('bulk'), 'team_vec')).toContain('-0.0');
  }, 300_000);

  it("a reranked search's term and kNN filter on a long find the engine's hits", async () => {
    const q = '[0,1,0.25,-0.27,0,0,0.5,-0.75]';
    const knn = isElasticsearch(engine)
      ? `"knn":{"field":"team_vec","query_vector":${q},"k":5,"num_candidates":10,"filter":{"term":{"sku":${ID}}}}`
      : `"query":{"knn":{"team_vec":{"vector":${q},"k":5,"filter":{"term":{"sku":${ID}}}}}}`;
    for (const clause of [`"query":{"term":{"sku":${ID}}}`, knn]) {
      const direct = await send(p.engineUrl, 'POST', `/${INDEX}/_search`, `{${clause},"_source":false}`);
      const reranked = await send(p.url, 'POST', `/${INDEX}/_search`, `{${clause},"_source":false,"ext":{"vlrerank":{"query":{"text":"apple juice"}}}}`);
      const ids = (b: any) => b.hits.hits.map((h: any) => h._id).sort();
      expect(ids(direct.body)).toEqual(['bulk', 'direct-bulk']);
      expect(reranked.body.vlrerank).toMatchObject({ degraded: false });
      expect({ clause, ids: ids(reranked.body) }).toEqual({ clause, ids: ids(direct.body) });
      // the same search as an _msearch item
      const m = await send(p.url, 'POST', `/${INDEX}/_msearch`, `{}\n{${clause},"_source":false,"ext":{"vlrerank":{"query":{"text":"apple juice"}}}}\n`);
      expect({ clause, ids: ids(m.body.responses[0]) }).toEqual({ clause, ids: ids(direct.body) });
    }
  }, 300_000);

  it("a reranked search's hits show the long and the vector as the engine answers them (_source filtered, fields, filter_path, _msearch)", async () => {
    const text = async (base: string, path: string, body: string, ndjson = false) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' }, body }).then((r) => r.text());
    const search = `"query":{"ids":{"values":["bulk"]}},"_source":["sku","team_vec"],"fields":["sku"]`;
    const ext = `"ext":{"vlrerank":{"query":{"text":"apple juice"}}}`;
    const direct = await text(p.engineUrl, `/${INDEX}/_search`, `{${search}}`);
    const shown = (t: string) => ({ sku: token(t, 'sku'), team_vec: token(t, 'team_vec'), fields: t.match(/"sku":\[[^\]]*\]/)?.[0] });
    expect(shown(direct)).toEqual({ sku: ID, team_vec: expect.stringContaining('-0.0'), fields: `"sku":[${ID}]` });
    expect(shown(await text(p.url, `/${INDEX}/_search`, `{${search},${ext}}`))).toEqual(shown(direct));
    expect(shown(await text(p.url, `/${INDEX}/_search?filter_path=hits.hits._source,hits.hits.fields`, `{${search},${ext}}`))).toEqual(shown(direct));
    expect(shown(await text(p.url, `/${INDEX}/_msearch`, `{}\n{${search},${ext}}\n`, true))).toEqual(shown(direct));
  }, 300_000);

  it.runIf(isElasticsearch(engine))("a retriever's child query on a long (moved to the first stage's query) finds the engine's hits", async () => {
    const term = `{"term":{"sku":${ID}}}`;
    const direct = await send(p.engineUrl, 'POST', `/${INDEX}/_search`, `{"query":${term},"_source":false}`);
    const r = await send(p.url, 'POST', `/${INDEX}/_search`, `{"retriever":{"text_similarity_reranker":{"retriever":{"standard":{"query":${term}}},"field":"title","inference_text":"apple juice"}},"_source":false}`);
    const ids = (b: any) => b.hits.hits.map((h: any) => h._id).sort();
    expect(ids(r.body)).toEqual(ids(direct.body));
    expect(ids(r.body)).toEqual(['bulk', 'direct-bulk']);
  }, 300_000);
});
