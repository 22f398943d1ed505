/**
 * A first stage the engine answers from part of the index — shards that failed (here a real
 * shard-level failure: an index pattern over two indices where one maps the filtered field as a
 * number) — is reranked among the hits it found, and the `vlrerank` report says so beside the
 * engine's own `_shards` (kept as the engine answers them). Held-out probe round 17a met it on a
 * 3-node Elasticsearch 8.19 cluster with a shard's every copy gone (red): the window was reranked
 * among 2 of 3 shards' hits with `degraded: false` and nothing in the report. A full answer has no
 * such note; nor does one that was not stopped early by `terminate_after` (`terminated_early`). Real Elasticsearch 8.19 and OpenSearch 2.19, the official clients, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSearchRaw, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const PIPELINE = `name: kb-partial
index_patterns: [kbpartial-*]
default: false
fields: { text: [text] }
first_stage: { text_query: bm25, match_fields: [text] }
window: { default: 10, max: 40 }
budget_ms: 300000
failure: fail_open
`;
const TEXT = 'cancer cells';
const EXT = { vlrerank: { query: { text: TEXT } } };

describe.each(['elasticsearch', 'opensearch'] as const)('a partial first stage (%s)', (engine) => {
  const A = `kbpartial-a-${engine}`;
  const B = `kbpartial-b-${engine}`;
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'kb-partial.yaml': PIPELINE }) });
    for (const [index, type] of [[A, 'keyword'], [B, 'long']] as const) {
      await p.engine.json('DELETE', `/${index}`);
      await p.engine.json('PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: { n: { type }, text: { type: 'text' } } } });
    }
    const docs = ['cancer cells divide', 'tumour cells and cancer', 'cells of the immune system'];
    const lines = docs.flatMap((text, i) => [JSON.stringify({ index: { _index: A, _id: `a${i}` } }), JSON.stringify({ n: 'x', text }), JSON.stringify({ index: { _index: B, _id: `b${i}` } }), JSON.stringify({ n: i, text })]);
    await p.engine.json('POST', '/_bulk?refresh=true', `${lines.join('\n')}\n`, { 'content-type': 'application/x-ndjson' });
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${A},${B}`);
    await p?.close();
  });

  it("says the window came from part of the index, keeping the engine's _shards", async () => {
    const query = { bool: { must: { match: { text: TEXT } }, filter: { term: { n: 'x' } } } };
    const direct = await clientSearchRaw(engine, p.engineUrl, { index: `${A},${B}`, body: { query } });
    expect(direct.statusCode).toBe(200);
    expect(direct.body._shards).toMatchObject({ total: 2, successful: 1, failed: 1 });
    const r = await clientSearchRaw(engine, p.url, { index: `${A},${B}`, body: { query, ext: EXT } });
    expect(r.statusCode).toBe(200);
    expect(r.body._shards).toEqual(direct.body._shards);
    expect(r.body.vlrerank).toMatchObject({ degraded: false, candidates: direct.body.hits.hits.length, first_stage_partial: { failed_shards: 1, total_shards: 2, timed_out: false } });
    expect(r.body.vlrerank.first_stage_partial.note).toMatch(/1 of 2 shards failed/);
    // a full answer: no note
    const full = await clientSearchRaw(engine, p.url, { index: A, body: { query, ext: EXT } });
    expect(full.body._shards.failed).toBe(0);
    expect(full.body.vlrerank.first_stage_partial).toBeUndefined();
  });

  // held-out probe round 30a: a search's terminate_after kept the engine's terminated_early, but the report said nothing
  it("says the search's terminate_after stopped the shards early, keeping the engine's terminated_early", async () => {
    const body = { query: { match: { text: TEXT } }, terminate_after: 1 };
    const direct = await clientSearchRaw(engine, p.engineUrl, { index: A, body });
    expect(direct.body.terminated_early).toBe(true);
    const r = await clientSearchRaw(engine, p.url, { index: A, body: { ...body, ext: EXT } });
    expect(r.statusCode).toBe(200);
    expect(r.body.terminated_early).toBe(true);
    expect(r.body._shards).toEqual(direct.body._shards);
    expect(r.body.hits.total).toEqual(direct.body.hits.total);
    expect(r.body.vlrerank.first_stage_partial).toMatchObject({ failed_shards: 0, timed_out: false, terminated_early: true });
    expect(r.body.vlrerank.first_stage_partial.note).toMatch(/terminate_after/);
  });
});
