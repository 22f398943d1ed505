/**
 * A point-in-time search (`POST /_search` with `pit.id`, no index in the path) of an index whose
 * vlrerank pipeline is `default: true` is reranked as a search on that index is (fix17, a 15b
 * leftover): the point in time's indices are inside its id, in a form of the engine's own, so no
 * index pattern chose the pipeline and the search reached the engine as sent. vlrerank now asks
 * the engine which indices the point in time reads (kept like its other index look-ups), so a
 * point in time opened through vlrerank or around it is reranked alike. Pages by `search_after`
 * stay the engine's (a cursor is the engine's order, as on any default pipeline's index), and are
 * the same hits as asked directly. Real engines (Elasticsearch 8.19 and 9.2: `_pit`; OpenSearch
 * 2.19 and 3.6: `_search/point_in_time`), the official JS clients, SciFact abstracts, the real
 * text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ENGINES, clientBulk, clientSearch, esClient, freshIndex, isElasticsearch, osClient, pipelinesDir, startSearchProxy, textPipeline, type Engine, type SearchProxy } from '../../helpers/search-fixtures.js';
import { scifactDocs } from '../../helpers/scifact-docs.js';

const TEXT = 'cancer cells and tumour growth';
const QUERY = { match: { text: TEXT } };
const ids = (b: any) => b.hits.hits.map((h: any) => h._id as string);

/** Open a point in time on `index` through `url` with the engine's official client; its id. */
async function openPit(engine: Engine, url: string, index: string): Promise<string> {
  if (isElasticsearch(engine)) return (await esClient(url).openPointInTime({ index, keep_alive: '2m' })).id;
  return (await osClient(url).createPit({ index, keep_alive: '2m' } as never)).body.pit_id as string;
}
async function closePit(engine: Engine, url: string, id: string): Promise<void> {
  if (isElasticsearch(engine)) await esClient(url).closePointInTime({ id });
  else await osClient(url).deletePit({ body: { pit_id: [id] } } as never);
}

describe.each(ALL_ENGINES)('a point-in-time search of a default pipeline’s index (%s)', (engine) => {
  const INDEX = `f17pit-${engine}`;
  let p: SearchProxy;
  const pits: string[] = [];
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'f17-pit.yaml': textPipeline('f17-pit', 'f17pit-*', { default: true }) }) });
    await freshIndex(p, p.pipelines.get('f17-pit')!, INDEX);
    await clientBulk(engine, p.url, scifactDocs(60).flatMap((d) => [{ index: { _index: INDEX, _id: d.id } }, { title: d.title, text: d.text }]));
    await p.engine.json('POST', `/${INDEX}/_refresh`);
  });
  afterAll(async () => {
    for (const id of pits) await closePit(engine, p.engineUrl, id).catch(() => undefined);
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('is reranked as the same search on the index, whether the point in time was opened through vlrerank or around it', async () => {
    const onIndex = await clientSearch(engine, p.url, { index: INDEX, body: { query: QUERY, size: 10, _source: false } });
    expect(onIndex.vlrerank).toMatchObject({ pipeline: 'f17-pit', degraded: false });
    const direct = await clientSearch(engine, p.engineUrl, { index: INDEX, body: { query: QUERY, size: 10, _source: false } });
    expect(ids(onIndex)).not.toEqual(ids(direct)); // the rerank moved hits: the comparison below means something
    // a search of every index first: vlrerank then knows they share no default pipeline, and reads
    // no `/_search` body for that — but one with a `pit` is still read
    expect((await clientSearch(engine, p.url, { body: { query: QUERY, size: 1, _source: false } })).vlrerank).toBeUndefined();
    for (const via of [p.url, p.engineUrl]) {
      const id = await openPit(engine, via, INDEX);
      pits.push(id);
      const page = await clientSearch(engine, p.url, { body: { pit: { id, keep_alive: '2m' }, query: QUERY, size: 10, _source: false } });
      expect(page.vlrerank, `opened through ${via === p.url ? 'vlrerank' : 'the engine'}`).toMatchObject({ pipeline: 'f17-pit', degraded: false });
      expect(ids(page)).toEqual(ids(onIndex));
      expect(page.hits.total).toEqual(direct.hits.total);
      if (isElasticsearch(engine)) expect(typeof page.pit_id).toBe('string'); // the id to page on, as the engine answers it
    }
  });

  it('a point in time paged by search_after is the engine’s, page 1 too (a sort, even by _score alone, gives each hit a cursor of its order): each hit once, as directly', async () => {
    const id = await openPit(engine, p.url, INDEX);
    pits.push(id);
    // Java and JS teams' two ways: `_score` alone (Elasticsearch adds its `_shard_doc` tie-breaker) and `_score` with a tie-breaker
    const sorts = isElasticsearch(engine) ? [[{ _score: 'desc' }], [{ _score: 'desc' }, { _shard_doc: 'asc' }]] : [[{ _score: 'desc' }, { _id: 'asc' }]];
    for (const sort of sorts) {
      const body = (after?: unknown[]) => ({ pit: { id, keep_alive: '2m' }, query: QUERY, size: 7, _source: false, sort, track_scores: true, ...(after ? { search_after: after } : {}) });
      const seen: string[] = [];
      let after: unknown[] | undefined;
      for (let page = 0; page < 4; page++) {
        const through = await clientSearch(engine, p.url, { body: body(after) });
        const directly = await clientSearch(engine, p.engineUrl, { body: body(after) });
        expect(through.vlrerank, `page ${page + 1}, sort ${JSON.stringify(sort)}`).toBeUndefined();
        expect(ids(through)).toEqual(ids(directly));
        seen.push(...ids(through));
        after = through.hits.hits.at(-1).sort;
      }
      expect(seen.length).toBe(28);
      expect(new Set(seen).size).toBe(28); // none twice
    }
  });
});
