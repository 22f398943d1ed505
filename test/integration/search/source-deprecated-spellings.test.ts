/**
 * `_source` spellings the engine reads with a deprecation, or refuses, get the same answer through a
 * reranked search (held-out probe round 12a):
 * - `"_source": {"include": …, "exclude": …}` (deprecated names of `includes`/`excludes`): the
 *   engine answers with a `Warning` header ("Deprecated field [include] used, expected [includes]
 *   instead"), which the official client hands back as `warnings`; vlrerank renamed the keys in the
 *   first stage, and the warning never came.
 *   An `_msearch` put together by vlrerank (reranked items beside plain ones) dropped every warning.
 * - `?_source_include=` / `?_source_exclude=` (removed in 7.0): the engine's 400 "unrecognized
 *   parameter"; a reranked search honoured them, 200.
 * Real Elasticsearch 8.19 and 9.2, the official client, the real text model.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ES_VERSIONS } from '../../helpers/engines.js';
import { esClient, type SearchProxy } from '../../helpers/search-fixtures.js';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';

const INDEX = 'kb-p12a-source-spellings';
const DOCS = [{ title: 'oat drink', text: 'a drink made of oats' }, { title: 'red apple', text: 'a crisp red apple' }, { title: 'oat flakes', text: 'rolled oats for porridge' }];

describe.each(ES_VERSIONS)('deprecated and removed _source spellings beside a rerank (%s)', (engine) => {
  let p: SearchProxy;
  const proxy = knowledgeBaseSuite(engine, INDEX, DOCS);
  beforeAll(() => {
    p = proxy();
  });
  const ext = { vlrerank: { query: 'oat drink' } };

  it('include / exclude: the same hits and fields, and the engine deprecation warning', async () => {
    for (const _source of [{ include: ['title'] }, { exclude: ['text'] }]) {
      const direct = await esClient(p.engineUrl).search({ index: INDEX, query: { match: { text: 'oats' } }, _source } as never, { meta: true });
      expect(direct.warnings?.join(' ')).toMatch(/Deprecated field \[(include|exclude)\]/);
      const r = await esClient(p.url).search({ index: INDEX, query: { match: { text: 'oats' } }, _source, ext } as never, { meta: true });
      expect((r.body as any).vlrerank.degraded).toBe(false);
      expect(r.warnings).toEqual(direct.warnings);
      expect((r.body as any).hits.hits.map((h: any) => Object.keys(h._source))).toEqual([['title'], ['title']]);
    }
  });

  it("an _msearch with reranked items: the engine's warnings, once each, as its own _msearch sends them", async () => {
    const item = { query: { match: { text: 'oats' } }, _source: { include: ['title'] } };
    const direct = await esClient(p.engineUrl).msearch({ searches: [{ index: INDEX }, item, { index: INDEX }, item] } as never, { meta: true });
    expect(direct.warnings).toHaveLength(1);
    for (const searches of [[{ index: INDEX }, { ...item, ext }], [{ index: INDEX }, { ...item, ext }, { index: INDEX }, item, { index: INDEX }, { ...item, ext }]]) {
      const r = await esClient(p.url).msearch({ searches } as never, { meta: true });
      expect((r.body as any).responses.every((x: any) => x.status === 200)).toBe(true);
      expect(r.warnings).toEqual(direct.warnings);
      // the media type the official client asked for, as the engine answers it
      expect(r.headers['content-type']).toBe(direct.headers['content-type']);
    }
  });

  it("?_source_include / ?_source_exclude: the engine's 400, as directly", async () => {
    for (const param of ['_source_include', '_source_exclude']) {
      const direct = await fetch(`${p.engineUrl}/${INDEX}/_search?${param}=title`);
      expect(direct.status).toBe(400);
      const r = await fetch(`${p.url}/${INDEX}/_search?${param}=title`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ext }) });
      const body = (await r.json()) as any;
      expect(r.status, JSON.stringify(body).slice(0, 300)).toBe(400);
      expect(body.error.reason).toContain(`unrecognized parameter: [${param}]`);
    }
  });
});
