/**
 * An index deleted and created again under its name, between two reranked searches that write
 * records back (`features.write_back`), on Elasticsearch 8.19 and OpenSearch 2.19. Held-out probe
 * round 11a: write-back trusted an index's record mapping for 60 s, so after the index was created
 * again by a write (auto-created: no record field), the next search's write-back put the record and
 * its signature into the new index mapped by guess — base64 text in every reader's `_source`. Now
 * the mapping is read for each job: the new index gets nothing, and its documents read as written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { clientSearch, ENGINES, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p11a-wb-again';
const FIELD = 'vlrerank_features';
const PIPELINES = { 'p11a-wb.yaml': `name: p11a-wb\nindex_patterns: [p11a-wb-*]\nfailure: fail_open\nfields: {text: [title]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: index, write_back: true}\n` };
const ask = { size: 3, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'oat milk' }, explain: true } } };

describe.each(ENGINES)('write-back into an index created again under its name, on %s', (engine) => {
  let p: SearchProxy;
  const written = async () => Number(/^vlrerank_record_write_back_total\{outcome="written"\} (\d+)/m.exec(await (await fetch(`${p.url}/_vlrerank/metrics`)).text())?.[1] ?? 0);
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES) });
    await p.engine.json('DELETE', `/${INDEX}`);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('the new index, auto-created without the record field, gets no record in its _source', { timeout: 300_000 }, async () => {
    await setupIndex(p.engine, p.pipelines.get('p11a-wb')!, INDEX);
    await p.engine.json('PUT', `/${INDEX}/_doc/1?refresh=true`, { title: 'oat milk' }); // around the proxy: no record
    const first = await clientSearch(engine, p.url, { index: INDEX, body: ask });
    expect(first.hits.hits[0]._vlrerank.explanation.features).toEqual({ text: 'computed' });
    await p.srv.services.writeBack!.idle();
    expect(await written()).toBe(1); // the set-up index keeps it
    // deleted and created again by a write, as the engine creates it: no record field
    await p.engine.json('DELETE', `/${INDEX}`);
    await p.engine.json('PUT', `/${INDEX}/_doc/1?refresh=true`, { title: 'oat drink' });
    const again = await clientSearch(engine, p.url, { index: INDEX, body: ask });
    expect(again.vlrerank.degraded).toBe(false);
    await p.srv.services.writeBack!.idle();
    expect(await written()).toBe(1);
    const stored = await p.engine.json<any>('GET', `/${INDEX}/_doc/1`);
    expect(stored.body._source).toEqual({ title: 'oat drink' });
    const mapping = await p.engine.json<any>('GET', `/${INDEX}/_mapping`);
    expect(Object.keys(mapping.body[INDEX].mappings.properties)).toEqual(['title']);
    expect(FIELD in mapping.body[INDEX].mappings.properties).toBe(false);
  });
});
