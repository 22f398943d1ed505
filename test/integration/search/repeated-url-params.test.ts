/**
 * A URL parameter given twice is read as the engines read it — its last value — on a reranked
 * search: `size=1&size=3` is 3 hits, `_source=false&_source=title` shows `title`, `q=a&q=b` is
 * reranked against `b` (the words the engine matched). vlrerank read the first value for its page,
 * its `_source` view and the query text, and sent the first stage the rest (held-out probe round
 * 31c: 1 hit where the engine gave 3, no `_source` where it showed `title`). Each answer compared
 * with the same request sent to the engine directly. Real Elasticsearch 8.19 and OpenSearch 2.19,
 * the real text model, a `default: true` pipeline and `ext.vlrerank`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyPipelines } from '../../helpers/http-server.js';
import { ENGINES, startSearchProxy, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';

const DFLT = 'p31c-rup-default';
const NAMED = 'p31c-rup-named';
const DOCS = [
  { title: 'apple juice', text: 'pressed from green apples' },
  { title: 'orange juice', text: 'with pulp, not from concentrate' },
  { title: 'apple pie', text: 'a buttery crust with apples' },
  { title: 'grape juice', text: 'from red grapes' },
  { title: 'lemon juice', text: 'squeezed lemons' },
];
const MATCH = { query: { match: { title: 'juice' } } };

describe.each(ENGINES)('a repeated URL parameter beside a rerank (%s)', (engine) => {
  let p: SearchProxy;
  const search = async (base: string, index: string, qs: string, body?: object) => {
    const r = await fetch(`${base}/${index}/_search?${qs}`, body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {});
    return { status: r.status, body: (await r.json()) as any };
  };
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: onlyPipelines({ 'd.yaml': textPipeline('p31c-rup-d', DFLT, { default: true }), 'n.yaml': textPipeline('p31c-rup-n', NAMED) }) });
    for (const index of [DFLT, NAMED]) {
      await p.engine.json('DELETE', `/${index}`);
      const nd = DOCS.flatMap((d, i) => [JSON.stringify({ index: { _index: index, _id: String(i) } }), JSON.stringify(d)]).join('\n') + '\n';
      expect((await p.engine.json('POST', '/_bulk?refresh=true', nd, { 'content-type': 'application/x-ndjson' })).statusCode).toBe(200);
    }
  }, 300_000);
  afterAll(async () => {
    for (const index of [DFLT, NAMED]) await p?.engine.json('DELETE', `/${index}`);
    await p?.close();
  });

  const asks: Array<[string, string, object]> = [
    ['a default pipeline', DFLT, MATCH],
    ['ext.vlrerank', NAMED, { ...MATCH, ext: { vlrerank: { query: { text: 'apple juice' } } } }],
  ];

  it.each(asks)('the last size, from and _source count, as at the engine (%s)', { timeout: 300_000 }, async (_how, index, body) => {
    for (const [qs, hits] of [['size=1&size=3', 3], ['size=3&size=1', 1], ['from=3&from=0&size=2', 2]] as const) {
      const direct = await search(p.engineUrl, index, qs, MATCH);
      const via = await search(p.url, index, qs, body);
      expect(direct.body.hits.hits.length).toBe(hits);
      expect(via.status).toBe(200);
      expect(via.body.vlrerank.degraded).toBe(false);
      expect(via.body.hits.hits.length, qs).toBe(hits);
    }
    for (const [qs, keys] of [['_source=false&_source=title', ['title']], ['_source_includes=text&_source_includes=title', ['title']]] as const) {
      const direct = await search(p.engineUrl, index, qs, MATCH);
      const via = await search(p.url, index, qs, body);
      expect(Object.keys(direct.body.hits.hits[0]._source)).toEqual(keys);
      expect(via.body.vlrerank.degraded).toBe(false);
      for (const h of via.body.hits.hits) expect(Object.keys(h._source ?? {}), qs).toEqual(keys);
    }
    // the last value refused is the engine's refusal, the first one taken notwithstanding
    const refused = await search(p.url, index, 'size=3&size=', body);
    expect(refused.status).toBe(400);
    expect(refused.body.error.reason).toBe((await search(p.engineUrl, index, 'size=3&size=', MATCH)).body.error.reason);
  });

  it("a URI search's q given twice is reranked against the last, the words the engine matched", { timeout: 300_000 }, async () => {
    const direct = await search(p.engineUrl, DFLT, 'q=lemon&q=grape&df=title');
    const via = await search(p.url, DFLT, 'q=lemon&q=grape&df=title&explain=true');
    expect(direct.body.hits.hits.map((h: any) => h._id)).toEqual(['3']);
    expect(via.body.hits.hits.map((h: any) => h._id)).toEqual(['3']);
    expect(via.body.vlrerank.query_text).toBe('grape');
  });
});
