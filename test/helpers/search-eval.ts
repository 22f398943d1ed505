/**
 * Retrieval quality through the proxy, shared by the quality tests (small subsets) and
 * `scripts/bench/search-eval.ts` (full sets): search by image (top-1/top-5, by product and by coarse class)
 * and text queries (nDCG@10 of BM25 alone, of kNN over the bridge vector alone, and after
 * reranking). Every search goes through the proxy as a client would send it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupIndex } from '../../src/engine/mapping.js';
import { addKnn } from '../../src/engine/dialect.js';
import { RerankerEmbedder } from '../../src/rerank/embedder.js';
import { DATA } from './paths.js';
import { distributionOf } from './engines.js';
import { catalog, clientSearch, esClient, groceryQueries, isElasticsearch, osClient, storedImage, type Engine, type SearchProxy } from './search-fixtures.js';
import { withFixtureLock } from './fixture-lock.js';

export const COCO_DIR = join(DATA, 'coco-captions-mini');

interface CocoRow {
  image: string;
  coco_id: number;
  captions: string[];
}
export const coco: CocoRow[] = readFileSync(join(COCO_DIR, 'captions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CocoRow);

/** COCO photos with their first caption as alt text (the other captions are the queries). */
export async function ensureCoco(p: SearchProxy, engine: Engine, index: string, limit = coco.length): Promise<void> {
  // test runs sharing this index on the same engines (one run's files go one at a time, but other
  // checkouts' runs may be at it too): one builds it, the others wait and reuse it
  return withFixtureLock(`${engine}-${index}`, () => buildCoco(p, engine, index, limit));
}

async function buildCoco(p: SearchProxy, engine: Engine, index: string, limit: number): Promise<void> {
  const rows = coco.slice(0, limit);
  const c = await p.engine.json<{ count?: number }>('POST', `/${index}/_count`, { query: { exists: { field: 'image_vector' } } });
  if (c.statusCode === 200 && c.body.count === rows.length && (await storedImage(p, index, String(rows[0]!.coco_id))) === join(COCO_DIR, rows[0]!.image)) return;
  await p.engine.json('DELETE', `/${index}`);
  await setupIndex(p.engine, p.pipelines.forIndex(index)!, index);
  for (let i = 0; i < rows.length; i += 20) {
    const operations = rows.slice(i, i + 20).flatMap((r) => [{ index: { _index: index, _id: String(r.coco_id) } }, { caption: r.captions[0], image: join(COCO_DIR, r.image) }]);
    if (isElasticsearch(engine)) await esClient(p.url).bulk({ operations });
    else await osClient(p.url).bulk({ body: operations });
  }
  await p.engine.json('POST', `/${index}/_refresh`);
}

export interface TextQuery {
  text: string;
  /** id → graded relevance */
  rel: Map<string, number>;
}

/** COCO: caption #2 of each photo → that photo. */
export function cocoQueries(limit = coco.length): TextQuery[] {
  return coco.slice(0, limit).map((r) => ({ text: r.captions[1]!, rel: new Map([[String(r.coco_id), 1]]) }));
}

/** Grocery: each product's name in words ("granny smith", "oat milk") → the product (2), same coarse class (1). */
export function groceryTextQueries(): TextQuery[] {
  return catalog.map((c) => ({
    text: c.class_name.replace(/-/g, ' ').toLowerCase(),
    rel: new Map(catalog.filter((o) => o.coarse_class_id === c.coarse_class_id).map((o) => [String(o.class_id), o.class_id === c.class_id ? 2 : 1])),
  }));
}

export function ndcgAt10(ids: string[], rel: Map<string, number>): number {
  const dcg = ids.slice(0, 10).reduce((s, id, i) => s + ((2 ** (rel.get(id) ?? 0) - 1) / Math.log2(i + 2)), 0);
  const ideal = [...rel.values()].sort((a, b) => b - a).slice(0, 10).reduce((s, g, i) => s + (2 ** g - 1) / Math.log2(i + 2), 0);
  return ideal ? dcg / ideal : 0;
}

export interface TextScores {
  bm25: number;
  knn: number;
  reranked: number;
  degraded: number;
  /** `vlrerank.document_errors.first` of each reranked search that had hits with unreadable media. */
  documentErrors: string[];
  n: number;
}

export async function evalText(p: SearchProxy, engine: Engine, index: string, queries: TextQuery[], window = 30): Promise<TextScores> {
  const pipe = p.pipelines.forIndex(index)!;
  const fields = pipe.first_stage.match_fields ?? pipe.fields.text;
  const embedder = new RerankerEmbedder(p.reranker);
  const ids = (b: any) => b.hits.hits.map((h: any) => String(h._id));
  const s: TextScores = { bm25: 0, knn: 0, reranked: 0, degraded: 0, documentErrors: [], n: queries.length };
  for (const q of queries) {
    const bm25 = await clientSearch(engine, p.url, { index, body: { size: 10, _source: false, query: { multi_match: { query: q.text, fields } } } });
    s.bm25 += ndcgAt10(ids(bm25), q.rel);
    const kb: Record<string, unknown> = { size: 10, _source: false };
    addKnn(kb, distributionOf(engine), { field: pipe.vectors.bridge!.field, vector: Array.from(await embedder.queryText(q.text)), k: 10, numCandidates: 100 });
    s.knn += ndcgAt10(ids(await clientSearch(engine, p.url, { index, body: kb })), q.rel);
    const rr = await clientSearch(engine, p.url, { index, body: { size: 10, _source: false, ext: { vlrerank: { query: q.text, window } } } });
    if (rr.vlrerank.degraded) s.degraded++;
    if (rr.vlrerank.document_errors) s.documentErrors.push(rr.vlrerank.document_errors.first);
    s.reranked += ndcgAt10(ids(rr), q.rel);
  }
  return { ...s, bm25: s.bm25 / s.n, knn: s.knn / s.n, reranked: s.reranked / s.n };
}

export interface ImageScores {
  knn: { top1: number; top5: number; coarse1: number; coarse5: number };
  reranked: { top1: number; top5: number; coarse1: number; coarse5: number };
  degraded: number;
  documentErrors: string[];
  n: number;
}

export async function evalImage(p: SearchProxy, engine: Engine, index: string, step = 1, window = 20, pipeline?: string): Promise<ImageScores> {
  const queries = groceryQueries(step);
  const coarseOf = new Map(catalog.map((c) => [c.class_id, c.coarse_class_id]));
  const embedder = new RerankerEmbedder(p.reranker);
  const z = () => ({ top1: 0, top5: 0, coarse1: 0, coarse5: 0 });
  const out: ImageScores = { knn: z(), reranked: z(), degraded: 0, documentErrors: [], n: queries.length };
  const score = (acc: ImageScores['knn'], ids: number[], q: { classId: number; coarse: number }) => {
    acc.top1 += ids[0] === q.classId ? 1 : 0;
    acc.top5 += ids.slice(0, 5).includes(q.classId) ? 1 : 0;
    acc.coarse1 += coarseOf.get(ids[0]!) === q.coarse ? 1 : 0;
    acc.coarse5 += ids.slice(0, 5).some((i) => coarseOf.get(i) === q.coarse) ? 1 : 0;
  };
  for (const q of queries) {
    const body: Record<string, unknown> = { size: 5, _source: false };
    addKnn(body, distributionOf(engine), { field: 'image_vector', vector: Array.from(await embedder.visual(q.image, 'image')), k: window, numCandidates: 100 });
    score(out.knn, (await clientSearch(engine, p.url, { index, body })).hits.hits.map((h: any) => Number(h._id)), q);
    const rr = await clientSearch(engine, p.url, { index, body: { size: 5, _source: false, ext: { vlrerank: { ...(pipeline ? { pipeline } : {}), query: { image: q.image }, window } } } });
    if (rr.vlrerank.degraded) out.degraded++;
    if (rr.vlrerank.document_errors) out.documentErrors.push(rr.vlrerank.document_errors.first);
    score(out.reranked, rr.hits.hits.map((h: any) => Number(h._id)), q);
  }
  for (const k of ['knn', 'reranked'] as const) for (const m of ['top1', 'top5', 'coarse1', 'coarse5'] as const) out[k][m] /= out.n;
  return out;
}
