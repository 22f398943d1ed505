/**
 * `_msearch/template` (OpenSearch's, as its docs and the official client's `msearchTemplate` teach)
 * with a rerank ask: each item's template is rendered by the engine and the searches it renders to
 * are reranked or sent on as the same `_msearch` would be. Before (held-out probe round 13f, left)
 * it reached the engine as sent: `ext.vlrerank` in an inline template's source its 400 `unknown
 * field [vlrerank]` for the item, and a stored template asking for the rerank came back unreranked.
 * Real OpenSearch 3.6 (2.19's thin build has no mustache), its official client, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as OsClient } from '@opensearch-project/opensearch';
import { pipelinesDir, startSearchProxy, SWEET_DOCS, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'f13g-mtpl';
const PLAIN = 'f13g-mtpl-plain-tpl';
const RERANKING = 'f13g-mtpl-rerank-tpl';
const PIPELINE = textPipeline('f13g-mtpl', 'f13g-mtpl*');
const docs = SWEET_DOCS;

describe('_msearch/template with a rerank (opensearch3)', () => {
  let p: SearchProxy;
  let direct: OsClient;
  let through: OsClient;
  beforeAll(async () => {
    p = await startSearchProxy('opensearch3', { pipelinesDir: pipelinesDir({ 'f13g-mtpl.yaml': PIPELINE }) });
    direct = new OsClient({ node: p.engineUrl });
    through = new OsClient({ node: p.url });
    await p.engine.json('DELETE', `/${INDEX}`);
    for (const [i, d] of docs.entries()) await p.engine.json('PUT', `/${INDEX}/_doc/${i}`, d);
    await p.engine.json('POST', `/${INDEX}/_refresh`);
    await direct.putScript({ id: PLAIN, body: { script: { lang: 'mustache', source: { size: '{{size}}', query: { match: { text: '{{q}}' } } } } } as never });
    await direct.putScript({ id: RERANKING, body: { script: { lang: 'mustache', source: '{"size": {{size}}, "query": {"match": {"text": "{{q}}"}}, "ext": {"vlrerank": {"query": {"text": "{{wanted}}"}}}}' } } as never });
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.engine.json('DELETE', `/_scripts/${PLAIN}`);
    await p?.engine.json('DELETE', `/_scripts/${RERANKING}`);
    await p?.close();
  });

  const ids = (b: any) => b.hits.hits.map((h: any) => h._id).sort();

  it('reranks the items that ask (inline ext.vlrerank, a stored template holding it), the others as the engine answers them', { timeout: 120_000 }, async () => {
    const inline = JSON.stringify({ size: 10, query: { match: { text: '{{q}}' } }, ext: { vlrerank: { query: { text: '{{wanted}}' } } } });
    const body = [
      { index: INDEX },
      { source: inline, params: { q: 'sweet', wanted: 'dessert' } },
      { index: INDEX },
      { id: RERANKING, params: { q: 'sweet', size: 10, wanted: 'dessert' } },
      { index: INDEX },
      { id: PLAIN, params: { q: 'sweet', size: 10 } },
    ];
    const engine = ((await direct.msearchTemplate({ body: [{ index: INDEX }, { id: PLAIN, params: { q: 'sweet', size: 10 } }] } as never)).body as any).responses[0];
    const r = (await through.msearchTemplate({ body } as never)).body as any;
    expect(r.responses).toHaveLength(3);
    for (const [i, item] of r.responses.slice(0, 2).entries()) {
      expect(item.status, JSON.stringify(item).slice(0, 300)).toBe(200);
      expect(item.vlrerank?.pipeline, `item ${i}`).toBe('f13g-mtpl');
      expect(ids(item), `item ${i}`).toEqual(ids(engine));
      expect(item.hits.hits.slice(0, 2).map((h: any) => h._source.text), `item ${i}`).toEqual(expect.arrayContaining(['a sweet baked dessert', 'a sweet sticky dessert']));
    }
    // the plain item: the engine's own answer (BM25 order), not reranked
    expect(r.responses[2].vlrerank).toBeUndefined();
    expect(r.responses[2].hits.hits.map((h: any) => h._id)).toEqual(engine.hits.hits.map((h: any) => h._id));
  });

  it('a request asking nothing of vlrerank\'s is the engine\'s as sent', { timeout: 60_000 }, async () => {
    const body = [{ index: INDEX }, { id: PLAIN, params: { q: 'sweet', size: 10 } }];
    const d = (await direct.msearchTemplate({ body } as never)).body as any;
    const t = (await through.msearchTemplate({ body } as never)).body as any;
    expect(t.responses.map((x: any) => x.hits.hits.map((h: any) => h._id))).toEqual(d.responses.map((x: any) => x.hits.hits.map((h: any) => h._id)));
  });
});
