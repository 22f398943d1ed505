/**
 * Retriever trees with a rerank inside, as a search team writes them from the engines' docs
 * (held-out probe round 28a):
 * - a `text_similarity_reranker` below another retriever (`rrf`, `linear`, `rescorer`, `pinned`)
 *   went to the engine, which has no such retriever (a parse error naming the outer one — on 9.2,
 *   whose `rescorer` is native, "[rescorer] failed to parse field [retriever]") or, licensed, runs
 *   its own inference reranker in its place: now vlrerank's 400 naming where it sits and why;
 * - in an `_msearch`, a plain item the engine cannot parse (`unknown retriever [rrf]`) made the
 *   engine refuse the `_msearch` vlrerank sends for the plain items as a whole, and every plain item
 *   got that item's error — a valid search beside it too: now each carries its own answer.
 * - a `standard` child without a query reranked the pipeline's own text match of the query text
 *   (on grocery, 1 of 81 products) where the engine's standard retriever matches every document;
 * Real Elasticsearch 9.2 and OpenSearch 3.6, the official clients, the knowledge-base pipeline and
 * the real text model.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { clientSearchRaw, esClient, isElasticsearch, osClient, type Engine, type SearchProxy } from '../../helpers/search-fixtures.js';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';

const INDEX = 'kb-retriever-trees-it';
const DOCS = [
  { title: 'apple pie', text: 'a sweet apple pie baked with cinnamon' },
  { title: 'red apple', text: 'a crisp red apple from the orchard' },
  { title: 'apple laptop', text: 'a laptop computer made by apple' },
  { title: 'banana', text: 'a ripe banana' },
];
const standard = { standard: { query: { match: { text: 'apple' } } } };
const reranker = (child: unknown = standard) => ({ text_similarity_reranker: { retriever: child, field: 'text', inference_text: 'apple fruit', rank_window_size: 10 } });

/** A search by the engine's official client (OpenSearch's takes the search in `body`). */
const search = (engine: Engine, url: string, body: object) => clientSearchRaw(engine, url, isElasticsearch(engine) ? { index: INDEX, ...body } : { index: INDEX, body });

async function msearch(engine: Engine, url: string, searches: object[]): Promise<any[]> {
  const body: any = isElasticsearch(engine) ? await esClient(url).msearch({ index: INDEX, searches } as never) : (await osClient(url).msearch({ index: INDEX, body: searches } as never)).body;
  return body.responses;
}

describe.each(['elasticsearch9', 'opensearch3'] as Engine[])('retriever trees with a rerank inside (%s)', (engine) => {
  let p: SearchProxy;
  const proxy = knowledgeBaseSuite(engine, INDEX, DOCS);
  beforeAll(() => {
    p = proxy();
  });

  it('a text_similarity_reranker below another retriever is refused naming where it sits', async () => {
    const trees: Array<[string, unknown]> = [
      ['retriever.rrf.retrievers.0.text_similarity_reranker', { rrf: { retrievers: [reranker(), standard] } }],
      ['retriever.linear.retrievers.1.retriever.text_similarity_reranker', { linear: { retrievers: [{ retriever: standard, weight: 1 }, { retriever: reranker(), weight: 2 }] } }],
      ['retriever.rescorer.retriever.text_similarity_reranker', { rescorer: { retriever: reranker(), rescore: { query: { rescore_query: { match: { title: 'pie' } } } } } }],
      ['retriever.pinned.retriever.text_similarity_reranker', { pinned: { ids: ['3'], retriever: reranker() } }],
    ];
    for (const [path, retriever] of trees) {
      const r = await search(engine, p.url, { retriever });
      expect(r.statusCode, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.type).toBe('illegal_argument_exception');
      expect(r.body.error.reason).toContain(`[${path}]`);
      expect(r.body.error.reason).toContain('only as the top-level retriever');
    }
    // a compound retriever below the reranker: what is not supported, and why
    const rrfBelow = await search(engine, p.url, { retriever: reranker({ rrf: { retrievers: [standard] } }) });
    expect(rrfBelow.statusCode).toBe(400);
    expect(rrfBelow.body.error.reason).toMatch(/\[retriever\.text_similarity_reranker\.retriever\.rrf\] retriever \[rrf\] is not supported in front of the reranker: .*does not fuse/);
    // the top-level reranker is still vlrerank's
    const top = await search(engine, p.url, { retriever: reranker() });
    expect(top.statusCode).toBe(200);
    expect(top.body.vlrerank.syntax).toBe('retriever');
  });

  it('a standard child without a query hands the reranker every document, as the engine runs it', async () => {
    const r = await search(engine, p.url, { retriever: reranker({ standard: {} }) });
    expect(r.statusCode, JSON.stringify(r.body)).toBe(200);
    // the engine's own answer to that first stage: its standard retriever (9.2), match_all (OpenSearch has no retrievers)
    const direct = await search(engine, p.engineUrl, isElasticsearch(engine) ? { retriever: { standard: {} } } : { query: { match_all: {} } });
    expect(direct.body.hits.total.value).toBe(DOCS.length);
    expect(r.body.hits.total.value).toBe(direct.body.hits.total.value);
    expect(r.body.vlrerank.candidates).toBe(DOCS.length);
    expect(r.body.hits.hits.map((h: any) => h._id).sort()).toEqual(direct.body.hits.hits.map((h: any) => h._id).sort());
  });

  it("an _msearch item the engine cannot parse carries its own error, the plain item beside it the engine's hits", async () => {
    const rrf = { retriever: { rrf: { retrievers: [standard] } } };
    // no query text: the index's default pipeline leaves it to the engine
    const plain = { size: 3, query: { match_all: {} } };
    const responses = await msearch(engine, p.url, [{}, { retriever: reranker() }, {}, rrf, {}, plain, {}, { retriever: { rescorer: { retriever: reranker(), rescore: { query: { rescore_query: { match_all: {} } } } } } }]);
    expect(responses.map((r) => r.status)).toEqual([200, 400, 200, 400]);
    expect(responses[0].vlrerank.syntax).toBe('retriever');
    // the engine's own refusal of that search alone
    const direct = await search(engine, p.engineUrl, rrf);
    expect(direct.statusCode).toBe(400);
    expect(responses[1].error.type).toBe(direct.body.error.type);
    expect(responses[1].error.reason).toBe(direct.body.error.reason);
    // the valid plain search: the engine's hits, not the rrf item's error
    const alone = await search(engine, p.engineUrl, plain);
    expect(responses[2].hits.hits.map((h: any) => [h._id, h._score])).toEqual(alone.body.hits.hits.map((h: any) => [h._id, h._score]));
    expect(responses[3].error.reason).toContain('[retriever.rescorer.retriever.text_similarity_reranker]');
  });
});
