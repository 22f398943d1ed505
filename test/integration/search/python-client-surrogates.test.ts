/**
 * A lone surrogate as the official Python clients send it (elasticsearch-py and opensearch-py
 * serialise with `surrogatepass`: "\ud800" as the bytes ED A0 80 — a file name read with
 * `surrogateescape` gives one), through vlrerank as the engine takes it directly: Elasticsearch
 * stores the document as sent and the Python client reads the same unit back. Before (held-out
 * probe round 14a), a `helpers.bulk` into a pipeline's index was stored with three U+FFFD in its
 * place (the source decoded as UTF-8 and re-serialised with its vectors), and a hit stored so came
 * back from a reranked search with them too. The bytes are the client's own (captured,
 * test/helpers/elasticsearch-py-bytes.ts). Real Elasticsearch 8.19 and real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { catalog, groceryDoc, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { esPyBulk, esPyJson, esPyText } from '../../helpers/elasticsearch-py-bytes.js';

const INDEX = 'grocery-pysurrogate-it';
const PLAIN = 'plain-pysurrogate-it'; // no pipeline, no _source filtering: the engine answers the bytes it was sent
const AUTO = 'grocery-pysurrogate-auto-it'; // the pipeline's, made by the engine at the first write (no _source excludes)
const TITLE = 'Apple \ud800 juice \udce9 é 😀';

describe('a Python client’s lone surrogate, through vlrerank as directly (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  const doc = { ...groceryDoc(catalog[0]!), title: TITLE };
  /** `_source` as the Python client reads it from the engine directly. */
  const stored = async (id: string) => {
    const r = await fetch(`${p.engineUrl}/${INDEX}/_doc/${id}`);
    return (JSON.parse(esPyText(Buffer.from(await r.arrayBuffer()))) as { _source: Record<string, unknown> })._source;
  };
  const send = async (base: string, id: string) => {
    const b = esPyBulk([{ _index: INDEX, _id: id, _source: doc }]);
    const r = await fetch(`${base}${b.path}?refresh=true`, { method: b.method, headers: b.headers, body: new Uint8Array(b.body) });
    return { status: r.status, body: JSON.parse(esPyText(Buffer.from(await r.arrayBuffer()))) as any };
  };
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch');
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('grocery')!, INDEX);
    for (const ix of [PLAIN, AUTO]) {
      await p.engine.json('DELETE', `/${ix}`);
      await fetch(`${p.engineUrl}/${ix}/_doc/raw?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: new Uint8Array(esPyJson({ title: TITLE })) });
    }
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    for (const ix of [PLAIN, AUTO]) await p?.engine.json('DELETE', `/${ix}`);
    await p?.close();
  });

  it('helpers.bulk: the document stored with the client’s text, as a direct write stores it, and its vectors', async () => {
    const direct = await send(p.engineUrl, 'direct');
    const proxied = await send(p.url, 'proxied');
    expect(direct.status).toBe(200);
    expect(proxied.status).toBe(200);
    expect(proxied.body.items[0].index.status).toBe(201);
    expect(proxied.body.vlrerank).toMatchObject({ documents_with_vectors: 1 });
    expect((await stored('direct')).title).toBe(TITLE);
    const s = await stored('proxied');
    expect(s.title).toBe(TITLE); // was 'Apple \ufffd\ufffd\ufffd juice \ufffd\ufffd\ufffd é 😀'
    expect(s.image_vector).toHaveLength(1280);
  });

  it('es.index (a single-document write through the pipeline): stored with the client’s text, and its vectors', async () => {
    const r = await fetch(`${p.url}/${INDEX}/_doc/single?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/vnd.elasticsearch+json; compatible-with=8', accept: 'application/vnd.elasticsearch+json; compatible-with=8' }, body: new Uint8Array(esPyJson(doc)) });
    expect(r.status).toBe(201);
    const s = await stored('single');
    expect(s.title).toBe(TITLE); // was three U+FFFD each (the body decoded by http/body.ts)
    expect(s.image_vector).toHaveLength(1280);
  });

  it('a reranked search shows a hit stored with a lone surrogate as the engine holds it', async () => {
    const body = esPyJson({ query: { ids: { values: ['direct'] } }, ext: { vlrerank: { query: { text: 'apple juice' } } } });
    const r = await fetch(`${p.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/vnd.elasticsearch+json; compatible-with=8', accept: 'application/vnd.elasticsearch+json; compatible-with=8' }, body: new Uint8Array(body) });
    expect(r.status).toBe(200);
    const b = JSON.parse(esPyText(Buffer.from(await r.arrayBuffer()))) as any;
    expect(b.vlrerank.degraded).toBe(false);
    expect(b.hits.hits.map((h: any) => h._source.title)).toEqual([TITLE]);
    const auto = esPyJson({ query: { match: { title: 'apple' } }, ext: { vlrerank: { query: { text: 'apple juice' } } } });
    const r2 = await fetch(`${p.url}/${AUTO}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array(auto) });
    const b2 = JSON.parse(esPyText(Buffer.from(await r2.arrayBuffer()))) as any;
    expect(r2.status).toBe(200);
    expect(b2.hits.hits.map((h: any) => h._source.title)).toEqual([TITLE]);
  });

  it('an _msearch that reranks one item answers the others’ hits as the engine holds them', async () => {
    const lines = [{ index: INDEX }, { query: { ids: { values: ['direct'] } }, ext: { vlrerank: { query: { text: 'apple juice' } } } }, { index: PLAIN }, { query: { ids: { values: ['raw'] } } }];
    const body = Buffer.concat(lines.flatMap((l) => [esPyJson(l), Buffer.from('\n')]));
    const r = await fetch(`${p.url}/_msearch`, { method: 'POST', headers: { 'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=8', accept: 'application/vnd.elasticsearch+json; compatible-with=8' }, body: new Uint8Array(body) });
    expect(r.status).toBe(200);
    const b = JSON.parse(esPyText(Buffer.from(await r.arrayBuffer()))) as any;
    expect(b.responses[0].hits.hits.map((h: any) => h._source.title)).toEqual([TITLE]);
    expect(b.responses[1].hits.hits.map((h: any) => h._source.title)).toEqual([TITLE]); // was three U+FFFD each
  });
});
