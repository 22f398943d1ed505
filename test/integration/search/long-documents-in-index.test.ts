/**
 * Long documents in chunks through the proxy (issue 14 §3), on Elasticsearch 8.19 with the official
 * client: a pipeline with `scorer.chunking` keeps each abstract's chunks in its feature record at
 * ingest; a reranked search then scores a document whose relevant passage lies past the text model's
 * window by that passage (top half of the window, where filler alone would put it last), takes every
 * chunk vector from the index (explanations say `index`, not `index+computed`), and names the best
 * chunk in the hit's explanation.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadScifact } from '../../helpers/scifact.js';
import { clientBulk, esClient, freshIndex, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'quality-chunks-it';
const PIPELINE = `name: quality-chunks
index_patterns: [${INDEX}]
fields:
  text: [title, text]
scorer:
  chunking: { overlap: 128, aggregate: max }
first_stage:
  match_fields: [title, text]
window: { default: 20, max: 50 }
budget_ms: 300000
features: { store: index }
`;
const sf = loadScifact('test');
let p: SearchProxy;
let query: string;
let longId: string;
let relevant: string;

beforeAll(async () => {
  p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelinesDir({ 'quality-chunks.yaml': PIPELINE }) });
  await p.reranker.warm.wait();
  // a judged claim whose relevant abstract, on its own, the text model ranks above BM25's other hits…
  let docs: Array<{ id: string; title: string; text: string }> = [];
  for (const qid of [...sf.qrels.keys()].slice(0, 20)) {
    const judged = sf.qrels.get(qid)!;
    const rel = sf.byId.get([...judged.keys()][0]!)!;
    const others = sf.bm25(sf.queries.get(qid)!, 20).filter((id) => !judged.has(id)).slice(0, 6).map((id) => sf.byId.get(id)!);
    const alone = await p.reranker.process({ query: sf.queries.get(qid)!, documents: [sf.passage(rel), ...others.map((d) => sf.passage(d))] });
    if (alone[0]!.index !== 0) continue;
    query = sf.queries.get(qid)!;
    relevant = rel.text;
    // …put behind long abstracts about something else, past the window
    const filler = [...sf.byId.values()].filter((d) => !judged.has(d._id) && d.text.length > 1200).slice(0, 4).map((d) => d.text).join('\n\n');
    longId = `long-${rel._id}`;
    docs = [...others.map((d) => ({ id: d._id, title: d.title, text: d.text })), { id: longId, title: 'Collected abstracts', text: `${filler}\n\n${rel.title} ${rel.text}` }];
    break;
  }
  expect(docs.length).toBe(7);
  await freshIndex(p, p.pipelines.get('quality-chunks')!, INDEX);
  const r = await clientBulk('elasticsearch', p.url, docs.flatMap((d) => [{ index: { _index: INDEX, _id: d.id } }, { title: d.title, text: d.text }]));
  expect(r.errors).toBe(false);
  expect(r.vlrerank).toMatchObject({ documents_with_feature_records: 7 });
}, 900_000);
afterAll(async () => {
  await p?.engine.json('DELETE', `/${INDEX}`);
  await p?.close();
});

it('the long document ranks by its passage past the window, chunk vectors from the index, best chunk named', { timeout: 300_000 }, async () => {
  const res = (await esClient(p.url).search({ index: INDEX, size: 7, query: { match_all: {} }, ext: { vlrerank: { query: { text: query }, explain: true } } } as any)) as any;
  expect(res.vlrerank.degraded ?? false).toBe(false);
  // cut at the window it would read filler only; by its best chunk it ranks in the top half
  const rank = res.hits.hits.findIndex((h: any) => h._id === longId);
  expect(rank).toBeGreaterThanOrEqual(0);
  expect(rank).toBeLessThan(3);
  const top = res.hits.hits[rank];
  expect(top._vlrerank.explanation.features).toEqual({ text: 'index' });
  const tt = top._vlrerank.explanation.signals.find((s: any) => s.name === 'text_text');
  expect(tt.detail.chunks).toBeGreaterThan(1);
  expect(tt.detail.best_chunk.index).toBeGreaterThan(0);
  const source = `Collected abstracts\n${((await esClient(p.url).get({ index: INDEX, id: longId }))._source as { text: string }).text}`;
  // offsets are into the document's text as the pipeline joins its fields (title, newline, text): the best chunk holds part of the relevant abstract
  const at = source.indexOf(relevant);
  const { start, end } = tt.detail.best_chunk;
  expect(Math.min(end, at + relevant.length) - Math.max(start, at)).toBeGreaterThan(200);
  expect(source.slice(start, end)).toContain(tt.detail.best_chunk.excerpt.replace(/…$/, ''));
});
