/**
 * An `_msearch` item through an alias moved to another tenant's index is reranked by that index's
 * pipeline at once (fix20a). A `_search` already was (fix19a: each hit's `_index` checked against
 * the pipeline chosen through the kept answer of what the alias names — strayHits — and the search
 * run again once); an `_msearch` item was reranked by the old tenant's pipeline until that answer
 * expired (`pipelines.aliasCacheMs`). Real Elasticsearch 8.19 and OpenSearch 2.19, the alias moved
 * on the engine between two `_msearch`es, the real text model, the engine calls counted by a relay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { onlyPipelines } from '../../helpers/http-server.js';
import { ENGINES, startSearchProxy, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';

const A = 'f20a-ma-a';
const B = 'f20a-ma-b';
const ALIAS = 'f20a-ma-al';
const DOCS = [
  { title: 'apple juice', text: 'pressed from green apples' },
  { title: 'orange juice', text: 'with pulp, not from concentrate' },
  { title: 'apple pie', text: 'a buttery crust' },
];
const ASK = { query: { match: { title: 'juice' } }, size: 5, ext: { vlrerank: { query: { text: 'apple juice' } } } };

describe.each(ENGINES)('_msearch through a moved alias (%s)', (engine) => {
  let p: SearchProxy;
  let relay: CountingRelay;
  const aliases = (actions: object[]) => p.engine.json('POST', '/_aliases', { actions });
  const lookups = () => relay.seen.filter((l) => l.includes(`/_resolve/index/${ALIAS}`)).length;
  const msearch = async (lines: object[]) => {
    const r = await fetch(`${p.url}/_msearch`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' });
    const body = (await r.json()) as { responses: any[] };
    expect(r.status, JSON.stringify(body).slice(0, 400)).toBe(200);
    return body.responses;
  };

  beforeAll(async () => {
    p = await startSearchProxy(engine, {
      pipelinesDir: onlyPipelines({ 'a.yaml': textPipeline('f20a-a', A), 'b.yaml': textPipeline('f20a-b', B) }),
      via: async (url) => (relay = await countingRelay(url)).url,
    });
    for (const index of [A, B]) {
      await p.engine.json('DELETE', `/${index}`);
      const nd = DOCS.flatMap((d, i) => [JSON.stringify({ index: { _index: index, _id: String(i) } }), JSON.stringify(d)]).join('\n') + '\n';
      expect((await p.engine.json('POST', '/_bulk?refresh=true', nd, { 'content-type': 'application/x-ndjson' })).statusCode).toBe(200);
    }
    expect((await aliases([{ add: { index: A, alias: ALIAS } }])).statusCode).toBe(200);
  }, 300_000);
  afterAll(async () => {
    for (const index of [A, B]) await p?.engine.json('DELETE', `/${index}`);
    await p?.close();
    await relay?.close();
  });

  it('an item through the alias is reranked by the pipeline of the index it names now, asked again once; the other items as before', { timeout: 300_000 }, async () => {
    const lines = [{ index: ALIAS }, ASK, { index: A }, ASK, { index: B }, { query: { match: { title: 'juice' } } }];
    const first = await msearch(lines);
    expect(first[0].vlrerank?.pipeline, JSON.stringify(first[0]).slice(0, 300)).toBe('f20a-a');
    expect(first[0].hits.hits.every((h: any) => h._index === A)).toBe(true);
    const before = lookups();
    expect(before).toBeGreaterThan(0);
    expect((await aliases([{ remove: { index: A, alias: ALIAS } }, { add: { index: B, alias: ALIAS } }])).statusCode).toBe(200);
    // within pipelines.aliasCacheMs: the kept answer still says A, the hits say B
    const moved = await msearch(lines);
    expect(moved[0].status, JSON.stringify(moved[0]).slice(0, 300)).toBe(200);
    expect(moved[0].hits.hits.length).toBeGreaterThan(0);
    expect(moved[0].hits.hits.every((h: any) => h._index === B)).toBe(true);
    expect(moved[0].vlrerank?.pipeline).toBe('f20a-b'); // before: f20a-a, the old tenant's
    expect(lookups()).toBe(before + 1); // asked again, once
    // the other items: the index named directly keeps its pipeline, the plain item the engine's answer
    expect(moved[1].vlrerank?.pipeline).toBe('f20a-a');
    expect(moved[2].vlrerank).toBeUndefined();
    expect(moved[2].hits.hits.every((h: any) => h._index === B)).toBe(true);
    // kept again: the next _msearch asks nothing and is reranked by B's pipeline
    const next = await msearch(lines);
    expect(next[0].vlrerank?.pipeline).toBe('f20a-b');
    expect(lookups()).toBe(before + 1);
  });
});
