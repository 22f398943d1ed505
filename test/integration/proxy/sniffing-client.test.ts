/**
 * A sniffing client keeps talking to vlrerank. opensearch-js and the ES client with `sniffOnStart`
 * ask `GET /_nodes/_all/http` and then send every request to each node's `http.publish_address`;
 * passed through as it was, that taught them the engine's own address: every request after the
 * sniff bypassed the proxy — a reranked search got the engine's 400, a write was stored without its
 * record (held-out probe round 11c). Now each node's `publish_address` is the address the client
 * reached vlrerank by; the rest of the answer is the engine's. Real OpenSearch 2.19 and 3.6 and
 * Elasticsearch 8.19, their official clients, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as EsClient } from '@elastic/elasticsearch';
import { Client as OsClient } from '@opensearch-project/opensearch';
import { setupIndex } from '../../../src/engine/mapping.js';
import { isElasticsearch, pipelinesDir, startSearchProxy, type Engine, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p11c-sniff-it';
const PIPELINE = `name: p11c-sniff
index_patterns: [p11c-sniff-*]
fields:
  text: [title, text]
first_stage: { text_query: bm25, match_fields: [title, text] }
window: { default: 20, max: 50 }
failure: fail_open
features: { store: index }
`;

describe.each(['opensearch', 'opensearch3', 'elasticsearch'] as Engine[])('a sniffing client stays behind the proxy (%s)', (engine) => {
  let p: SearchProxy;

  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'p11c-sniff.yaml': PIPELINE }) });
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('p11c-sniff')!, INDEX);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('the nodes it learns are the proxy; its writes get records and its searches are reranked', async () => {
    const proxyHost = new URL(p.url).host;
    const direct = (await (await fetch(`${p.engineUrl}/_nodes/_all/http`)).json()) as any;
    const through = (await (await fetch(`${p.url}/_nodes/_all/http`)).json()) as any;
    expect(Object.keys(through.nodes)).toEqual(Object.keys(direct.nodes));
    for (const [id, n] of Object.entries<any>(through.nodes)) {
      expect(n.http.publish_address).toBe(proxyHost);
      expect(n.http.bound_address).toEqual(direct.nodes[id].http.bound_address); // the rest is the engine's
      expect(n.name).toBe(direct.nodes[id].name);
    }

    const docs = [{ title: 'vitamin D and bone density' }, { title: 'zinc and the common cold' }].map((d) => ({ ...d, text: `${d.title} in adults` }));
    const query = { size: 2, query: { match: { text: 'adults' } }, ext: { vlrerank: { query: { text: 'bone density' } } } };
    let hits: any;
    if (isElasticsearch(engine)) {
      const client = new EsClient({ node: p.url, requestTimeout: 120_000 });
      const sniffed = new Promise<void>((resolve, reject) => client.diagnostic.once('sniff', (err: unknown) => (err ? reject(err) : resolve())));
      client.transport.sniff({ reason: 'test', requestId: 'sniff' } as never);
      await sniffed;
      expect([...(client.connectionPool as any).connections].map((c: any) => c.url.host)).toEqual(Object.keys(direct.nodes).map(() => proxyHost));
      await client.bulk({ refresh: true, operations: docs.flatMap((d, i) => [{ index: { _index: INDEX, _id: `s${i}` } }, d]) });
      hits = await client.search({ index: INDEX, ...query } as never);
      await client.close();
    } else {
      const client = new OsClient({ node: p.url, requestTimeout: 120_000 });
      await new Promise<void>((resolve, reject) => client.transport.sniff({ reason: 'test', requestId: 'sniff' }, (err: unknown) => (err ? reject(err) : resolve())));
      expect([...(client.connectionPool as any).connections].map((c: any) => c.url.host)).toEqual(Object.keys(direct.nodes).map(() => proxyHost));
      await client.bulk({ refresh: true, body: docs.flatMap((d, i) => [{ index: { _index: INDEX, _id: `s${i}` } }, d]) });
      hits = (await client.search({ index: INDEX, body: query })).body;
      await client.close();
    }
    expect(hits.vlrerank, 'reranked by the proxy').toBeDefined();
    expect(hits.hits.hits[0]._id).toBe('s0');
    const rec = await p.engine.json<any>('POST', `/${INDEX}/_search`, { _source: false, stored_fields: ['vlrerank_features'], query: { match_all: {} } });
    expect(rec.body.hits.hits.filter((h: any) => h.fields?.vlrerank_features).length, 'records added at ingest').toBe(2);
  });

  it('?pretty is kept on the rewritten answer (it came compact)', async () => {
    const compact = (await (await fetch(`${p.url}/_nodes/http`)).json()) as any;
    const text = await (await fetch(`${p.url}/_nodes/http?pretty`)).text();
    expect(text.split('\n').length).toBeGreaterThan(10);
    expect(JSON.parse(text)).toEqual(compact);
  });

  it('other nodes-info answers and other formats are the engine’s as they are', async () => {
    for (const path of ['/_nodes/_all/os', '/_nodes/http?format=yaml', '/_cat/nodes?h=name']) {
      const a = await (await fetch(`${p.url}${path}`)).text();
      const b = await (await fetch(`${p.engineUrl}${path}`)).text();
      expect(a, path).toBe(b);
    }
  });
});
