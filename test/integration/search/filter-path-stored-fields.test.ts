/**
 * Response options a client sends with a reranked search (held-out probe round 4):
 * - `filter_path` filters the reranked answer, not the first stage. Sent with the first stage, the
 *   engine stripped `_source` from the window before the reranker read it: every hit came back with
 *   the same score (in `_msearch`, the reranked item came back with no hits at all), not degraded.
 * - `stored_fields: "_none_"` leaves the engine's hits without `_id` and `_source`: a clear 400
 *   instead of a window of hits all scored alike.
 * - `size`/`from` as numeric strings are read as the engine reads them.
 * - `Accept: application/yaml` or `?format=yaml` on a reranked search or `_msearch`: the first stage
 *   answered YAML and the search was a 502 `upstream_exception`; the engine is asked for JSON and
 *   vlrerank answers YAML (JSON until held-out probe round 23b; every format: answer-formats.test.ts).
 * - an `_msearch` with rerank items and a line that is not JSON: a 400 naming that line (forwarded,
 *   the engine complained about the first `ext.vlrerank` it met instead).
 * Elasticsearch 8.19 only: the behaviour is vlrerank's own, the same in front of each engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clientSearch, clientSearchRaw, ensureGrocery, esClient, startSearchProxy, why, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-it';
const engine = 'elasticsearch' as const;
const ext = { vlrerank: { query: { text: 'fresh fruit juice with pulp' }, window: 15 } };
const query = { match: { description: 'juice fruit fresh' } };

describe('filter_path, stored_fields and string paging on a reranked search (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await ensureGrocery(p, engine, INDEX);
  });
  afterAll(async () => p?.close());

  it('filter_path filters the reranked answer: same ids and scores as without it, and only the paths named', async () => {
    const whole = await clientSearch(engine, p.url, { index: INDEX, body: { size: 5, query, ext } });
    const scores = whole.hits.hits.map((h: any) => h._score);
    expect(new Set(scores).size, why(whole)).toBeGreaterThan(1);
    const filtered = await clientSearch(engine, p.url, { index: INDEX, filter_path: 'hits.hits._id,hits.hits._score', body: { size: 5, query, ext } });
    expect(filtered).toEqual({ hits: { hits: whole.hits.hits.map((h: any) => ({ _id: h._id, _score: h._score })) } });
    const excluded = await clientSearch(engine, p.url, { index: INDEX, filter_path: '-hits.hits._source,-_shards', body: { size: 5, query, ext } });
    expect(excluded._shards).toBeUndefined();
    expect(excluded.vlrerank.window).toBe(15);
    expect(excluded.hits.hits.map((h: any) => [h._id, h._score, h._source])).toEqual(whole.hits.hits.map((h: any) => [h._id, h._score, undefined]));
  });

  it('filter_path on _msearch filters the whole answer; the reranked item keeps its hits', async () => {
    const es = esClient(p.url);
    const searches = [{ index: INDEX }, { size: 5, query, ext }, { index: INDEX }, { size: 2, query }];
    const whole = await es.msearch({ searches } as never);
    const filtered = await es.msearch({ searches, filter_path: 'responses.hits.hits._id' } as never);
    const ids = (r: any) => r.hits.hits.map((h: any) => ({ _id: h._id }));
    expect((whole.responses[0] as any).hits.hits).toHaveLength(5);
    expect(filtered).toEqual({ responses: [{ hits: { hits: ids(whole.responses[0]) } }, { hits: { hits: ids(whole.responses[1]) } }] });
  });

  it('stored_fields _none_ is refused with a 400 naming it, in the body and in the query string', async () => {
    for (const params of [{ body: { size: 3, query, stored_fields: '_none_', ext } }, { stored_fields: '_none_', body: { size: 3, query, ext } }]) {
      const r = await clientSearchRaw(engine, p.url, { index: INDEX, ...params });
      expect(r.statusCode).toBe(400);
      expect(r.body.error.type).toBe('illegal_argument_exception');
      expect(r.body.error.reason).toMatch(/^\[stored_fields\] stored_fields \[_none_\]/);
    }
  });

  it('_msearch with rerank items and a broken line: a 400 naming the line, as the engine answers a broken line', async () => {
    const line = (x: unknown) => JSON.stringify(x);
    const body = [line({ index: INDEX }), line({ size: 2, query, ext }), line({ index: INDEX }), '{"query":', ''].join('\n');
    const r = await fetch(`${p.url}/_msearch`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    const b = (await r.json()) as any;
    expect(r.status).toBe(400);
    expect(b.error.type).toBe('parsing_exception');
    expect(b.error.reason).toMatch(/^_msearch line 4 is not valid JSON/);
  });

  it('a client asking for YAML (Accept or ?format) gets the reranked answer, not a 502 (in YAML since round 23b: answer-formats.test.ts)', async () => {
    const post = (path: string, body: string, headers: Record<string, string>) => fetch(`${p.url}${path}`, { method: 'POST', headers, body });
    const search = JSON.stringify({ size: 3, query, ext });
    const json = { 'content-type': 'application/json' };
    const whole = (await (await post(`/${INDEX}/_search`, search, json)).json()) as any;
    for (const [path, headers] of [[`/${INDEX}/_search`, { ...json, accept: 'application/yaml' }], [`/${INDEX}/_search?format=yaml`, json]] as const) {
      const r = await post(path, search, headers);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/yaml');
      const b = parse(await r.text()) as any;
      expect(b.hits.hits.map((h: any) => h._id)).toEqual(whole.hits.hits.map((h: any) => h._id));
    }
    const nd = [JSON.stringify({ index: INDEX }), search, JSON.stringify({ index: INDEX }), JSON.stringify({ size: 1, query }), ''].join('\n');
    const m = await post('/_msearch?format=yaml', nd, { 'content-type': 'application/x-ndjson', accept: 'application/yaml' });
    expect(m.status).toBe(200);
    const mb = parse(await m.text()) as any;
    expect(mb.responses.map((x: any) => x.status)).toEqual([200, 200]);
  });

  it('size and from given as numeric strings page the reranked window as numbers do', async () => {
    const asNumbers = await clientSearch(engine, p.url, { index: INDEX, body: { size: 3, from: 2, query, ext } });
    const asStrings = await clientSearch(engine, p.url, { index: INDEX, body: { size: '3', from: '2', query, ext } });
    expect(asStrings.hits.hits.map((h: any) => h._id)).toEqual(asNumbers.hits.hits.map((h: any) => h._id));
    expect(asStrings.hits.hits).toHaveLength(3);
  });
});
