/**
 * An `_msearch` whose URL parameters the engine refuses — an unknown name, `search_type=foo`,
 * `rest_total_hits_as_int=yes`, `max_concurrent_shard_requests=0` — beside a reranked item: the
 * engine's 400 for the whole request (naming `/_msearch`), as the same request sent to the engine
 * directly gets. vlrerank ran each reranked item as a `_search` with those parameters, and the plain
 * items as an `_msearch`, and answered 200 with every item's 400 (naming `/{index}/_search`): the
 * official clients' `msearch()` did not throw (held-out probe round 31c). Parameters the engine
 * takes still rerank, and a reranked item that fails on its own stays that item's error.
 * Real Elasticsearch 8.19 and OpenSearch 2.19, their official clients, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyPipelines } from '../../helpers/http-server.js';
import { ENGINES, esClient, isElasticsearch, osClient, startSearchProxy, textPipeline, type Engine, type SearchProxy } from '../../helpers/search-fixtures.js';

const RR = 'p31c-mup-rr';
const PLAIN = 'p31c-mup-plain';
const DOCS = [
  { title: 'apple juice', text: 'pressed from green apples', tag: 'a' },
  { title: 'orange juice', text: 'with pulp, not from concentrate', tag: 'b' },
  { title: 'apple pie', text: 'a buttery crust', tag: 'a' },
];
const ASK = { query: { match: { title: 'juice' } }, size: 2, ext: { vlrerank: { query: { text: 'apple juice' } } } };
const BARE = { query: { match: { title: 'juice' } }, size: 2 };

/** The client's `msearch` with its own parameter names (`querystring` for one it has no name for): status and body, thrown or not. */
async function msearch(engine: Engine, url: string, searches: object[], params: Record<string, unknown>): Promise<{ status: number; body: any }> {
  try {
    if (isElasticsearch(engine)) {
      const r = await esClient(url).msearch({ searches, ...params } as never, { meta: true });
      return { status: r.statusCode ?? 200, body: r.body };
    }
    const r = await osClient(url).msearch({ body: searches, ...params } as never);
    return { status: r.statusCode ?? 200, body: r.body };
  } catch (e) {
    const meta = (e as { meta?: { statusCode?: number; body?: unknown } }).meta;
    if (!meta?.statusCode) throw e;
    return { status: meta.statusCode, body: meta.body };
  }
}

describe.each(ENGINES)('_msearch URL parameters the engine refuses, beside a reranked item (%s)', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: onlyPipelines({ 'rr.yaml': textPipeline('p31c-mup', RR) }) });
    for (const index of [RR, PLAIN]) {
      await p.engine.json('DELETE', `/${index}`);
      const nd = DOCS.flatMap((d, i) => [JSON.stringify({ index: { _index: index, _id: String(i) } }), JSON.stringify(d)]).join('\n') + '\n';
      expect((await p.engine.json('POST', '/_bulk?refresh=true', nd, { 'content-type': 'application/x-ndjson' })).statusCode).toBe(200);
    }
  }, 300_000);
  afterAll(async () => {
    for (const index of [RR, PLAIN]) await p?.engine.json('DELETE', `/${index}`);
    await p?.close();
  });

  const refused: Array<[string, Record<string, unknown>]> = [
    ['an unknown parameter', { querystring: { foo: 'bar' } }],
    ['search_type=foo', { search_type: 'foo' }],
    ['rest_total_hits_as_int=yes', { querystring: { rest_total_hits_as_int: 'yes' } }],
    ['max_concurrent_shard_requests=0', { max_concurrent_shard_requests: 0 }],
  ];
  const shapes: Array<[string, object[]]> = [
    ['reranked items only', [{ index: RR }, ASK]],
    ['a reranked and a plain item', [{ index: RR }, ASK, { index: PLAIN }, BARE]],
  ];

  for (const [what, params] of refused) {
    it.each(shapes)(`${what}: the engine's whole 400 (%s)`, { timeout: 300_000 }, async (_shape, searches) => {
      const engineSearches = searches.map((s) => (s === ASK ? BARE : s));
      const direct = await msearch(engine, p.engineUrl, engineSearches, params);
      const via = await msearch(engine, p.url, searches, params);
      expect(direct.status).toBe(400);
      expect(via.status, JSON.stringify(via.body).slice(0, 300)).toBe(400);
      expect(via.body.responses).toBeUndefined();
      expect(via.body.status).toBe(400);
      expect(via.body.error.type).toBe(direct.body.error.type);
      expect(via.body.error.reason).toBe(direct.body.error.reason);
      expect(via.body.error.root_cause).toEqual(direct.body.error.root_cause);
    });
  }

  it('parameters the engine takes still rerank (typed_keys, rest_total_hits_as_int), and an item failing on its own stays its item', { timeout: 300_000 }, async () => {
    const searches = [{ index: RR }, { ...ASK, aggs: { t: { terms: { field: 'tag.keyword' } } } }, { index: PLAIN }, BARE, { index: RR }, { ...ASK, ext: { vlrerank: { query: { text: 'apple juice' }, window: 1 } } }];
    const via = await msearch(engine, p.url, searches, { typed_keys: true, rest_total_hits_as_int: true });
    expect(via.status).toBe(200);
    const [rr, plain, bad] = via.body.responses;
    expect(rr.status).toBe(200);
    expect(rr.vlrerank.degraded).toBe(false);
    expect(typeof rr.hits.total).toBe('number');
    expect(Object.keys(rr.aggregations)).toEqual(['sterms#t']);
    expect(plain.status).toBe(200);
    expect(typeof plain.hits.total).toBe('number');
    // window 1 < size 2: vlrerank's own 400 for that item alone
    expect(bad.status).toBe(400);
    expect(bad.error.reason).toContain('window');
  });
});
