/**
 * Single-document writes into one index read its mapping once, not once each. Issue 13: every
 * `_doc` read `GET /{index}/_mapping` first (does it map the vectors, the record field?) — one engine
 * read more per write. Now a concrete index's mapping is kept (`pipelines.mappingCacheMs`, long
 * here so that only the engine's answers can make vlrerank read again), and an index deleted and
 * created again under its name is still judged by its new mapping once the engine says so:
 *   - created again with a mapping that refuses what the kept one let vlrerank add (a `strict`
 *     index without the record field): the refused write is judged by a fresh read and sent once
 *     more — stored, as the engine stores it sent directly;
 *   - created again empty (its first write answers `_seq_no: 0`): the next write reads again and
 *     gets the record the new mapping keeps.
 * Engine calls are counted by a relay in front of the engine. Real Elasticsearch 8.19 and OpenSearch
 * 2.19, the mapping `index setup` makes, the real text model (records).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { ENGINES, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'kb-mapping-kept-it'; // the knowledge-base pipeline's pattern (kb-*): records in the index
const FIELD = 'vlrerank_features';

describe.each(ENGINES)('single-document writes read their index mapping once (%s)', (engine) => {
  let p: SearchProxy;
  let relay: CountingRelay;
  const put = (id: string, title: string) =>
    fetch(`${p.url}/${INDEX}/_doc/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title, text: `${title} and its effect on adults` }) });
  /** The engine calls `fn` made, as the relay saw them. */
  const calls = async (fn: () => Promise<unknown>) => {
    const from = relay.seen.length;
    await fn();
    return relay.seen.slice(from);
  };
  const mappingReads = (seen: string[]) => seen.filter((l) => l.startsWith(`GET /${INDEX}/_mapping`)).length;
  const hasRecord = async (id: string) => {
    const r = await p.engine.json<any>('POST', `/${INDEX}/_search`, { size: 1, _source: false, stored_fields: [FIELD], query: { ids: { values: [id] } } });
    expect(r.body.hits.hits[0], `${id} stored`).toBeDefined();
    return r.body.hits.hits[0].fields?.[FIELD] !== undefined;
  };

  beforeAll(async () => {
    p = await startSearchProxy(engine, { mappingCacheMs: 60_000, aliasCacheMs: 60_000, via: async (url) => (relay = await countingRelay(url)).url });
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('knowledge-base')!, INDEX);
    await p.engine.json('PUT', `/${INDEX}/_doc/direct`, { title: 'stored directly' }); // not empty: no write below is its first
    await p.reranker.warmup();
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
    await relay?.close();
  });

  it('N _doc writes cost N writes, one mapping read and one settings read', async () => {
    const N = 6;
    const seen = await calls(async () => {
      for (let i = 0; i < N; i++) expect((await put(`n${i}`, `vitamin ${i}`)).status).toBe(201);
    });
    console.log(`[ingest-mapping-kept] ${engine}: ${N} _doc writes: ${seen.length} engine calls (${mappingReads(seen)} mapping reads)`);
    expect(seen.filter((l) => l.startsWith(`PUT /${INDEX}/_doc/`))).toHaveLength(N);
    expect(mappingReads(seen)).toBe(1);
    // its default/final ingest pipelines (ingest/index-pipelines.ts, fix23p): read once, kept
    expect(seen.filter((l) => l.startsWith(`GET /${INDEX}/_settings`))).toHaveLength(1);
    expect(seen).toHaveLength(N + 2);
    await p.engine.json('POST', `/${INDEX}/_refresh`);
    for (let i = 0; i < N; i++) expect(await hasRecord(`n${i}`), `n${i} has its record`).toBe(true);
  });

  it('an index created again refusing what the kept mapping allowed: read again, sent once more, stored', async () => {
    await p.engine.json('DELETE', `/${INDEX}`);
    const made = await p.engine.json('PUT', `/${INDEX}`, { mappings: { dynamic: 'strict', properties: { title: { type: 'text' }, text: { type: 'text' } } } });
    expect(made.statusCode).toBe(200);
    let status = 0;
    const seen = await calls(async () => {
      status = (await put('strict-1', 'zinc')).status;
    });
    console.log(`[ingest-mapping-kept] ${engine}: write into the index made again (strict): ${seen.join(', ')}`);
    expect(status).toBe(201);
    expect(mappingReads(seen)).toBe(1);
    const src = (await p.engine.json<any>('GET', `/${INDEX}/_doc/strict-1`)).body?._source;
    expect(src).toEqual({ title: 'zinc', text: 'zinc and its effect on adults' });
  });

  it('an index created again empty with the record field: its first write says so, the next has its record', async () => {
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('knowledge-base')!, INDEX);
    // judged by the kept mapping (the strict index's, which keeps no record): stored without one
    expect((await put('again-1', 'iron')).status).toBe(201);
    const seen = await calls(async () => expect((await put('again-2', 'magnesium')).status).toBe(201));
    expect(mappingReads(seen)).toBe(1);
    await p.engine.json('POST', `/${INDEX}/_refresh`);
    expect(await hasRecord('again-2'), 'the write after the first has its record').toBe(true);
  });
});
