/**
 * How much the bridge kNN should count beside BM25 in a `hybrid` first stage (`first_stage.knn_boost`,
 * models/CALIBRATION.md "The hybrid first stage's window"), on COCO-mini as the demo index holds it
 * (caption #1 as the alt text, the photo's bridge vector; captions #2–#5 → their photo, 956 queries).
 * Builds an index of its own on the engine (deleted at the end unless --keep), asks the engine for
 * each query's window at every boost of a grid (the request vlrerank sends: its text match — with
 * coco.yaml's `first_stage.fuzzy` clause when set — + knn with `boost`), and reranks each window with the library's scores of coco.yaml's scorer (log-odds,
 * text_text 0.9, text_image 0.4, read from the raw values `scripts/bench/anchors.ts --sets coco-mixed`
 * keeps) blended 0.1 with a logistic map of the engine's score. 5-fold cross-validation, folds by
 * photo (a photo's four captions together), seed 42: on each fold the boost and the map are fitted on
 * the other four (the map by logistic regression of relevance on the engine score of the window's
 * hits) and nDCG@10 measured on the held-out one, against the boost of 1 with the map before.
 *   npx tsx scripts/bench/anchors.ts --sets coco-mixed   # raw values into .cache/anchors
 *   npx tsx scripts/bench/hybrid-boost.ts [--url http://127.0.0.1:19200] [--opensearch] [--index hybrid-boost-coco] [--window 50] [--keep]
 * `--opensearch`: the engine at --url is OpenSearch (a `knn_vector` field, the `bool.should` of the
 * match and the `knn` query, as src/engine/dialect.ts sends them).
 * The library's scores with coco.yaml's scorer held fixed: what the boost and the map alone buy. `vlrerank
 * eval --fit` chooses the boost through the proxy as a user would (with the whole fusion fitted beside
 * it; models/CALIBRATION.md, the same section).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPipelines } from '../../src/pipelines/load.js';
import { Reranker } from '../../src/rerank/reranker.js';
import { textMatch } from '../../src/search/plan.js';
import { fromFloat16Base64 } from '../../src/util/vector-codec.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';

const argv = process.argv.slice(2);
const flag = (n: string, d: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1]! : d);
const url = flag('--url', 'http://127.0.0.1:19200');
const index = flag('--index', 'hybrid-boost-coco');
const W = Number(flag('--window', '50'));
const opensearch = argv.includes('--opensearch');
const BOOSTS = [1, 2, 3, 5, 7, 10, 15, 20, 30];
/** coco.yaml's map before the boost (fitted at boost 1) */
const BEFORE_MAP = { a: 0.4786, b: -6.9935 };
const BLEND = 0.1;
/** coco.yaml's `first_stage.fuzzy` (task q24): the text match asked as vlrerank asks it */
const FUZZY = loadPipelines(join(import.meta.dirname, '../../pipelines')).find((p) => p.name === 'coco')?.first_stage.fuzzy;

const rows = readFileSync(join(DATA, 'coco-captions-mini/captions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { coco_id: number; image: string; captions: string[] });
const qs = rows.flatMap((r) => r.captions.slice(1).map((c) => ({ text: c, id: String(r.coco_id) })));
const set = JSON.parse(readFileSync('.cache/anchors/coco-mixed.json', 'utf8')) as { ids: string[]; queries: Array<{ text: string; docs: Array<{ raw: Record<string, number> }> }> };
if (set.queries.length !== qs.length || set.queries.some((q, i) => q.text !== qs[i]!.text)) throw new Error('.cache/anchors/coco-mixed.json holds other queries: run anchors.ts --sets coco-mixed');
const curves = (JSON.parse(readFileSync('models/calibration/signals.json', 'utf8')) as { signals: Record<string, { a: number; b: number }> }).signals;

const es = async (path: string, method: string, body?: unknown, ndjson = false): Promise<any> => {
  const r = await fetch(`${url}${path}`, { method, headers: { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' }, ...(body === undefined ? {} : { body: ndjson ? (body as string) : JSON.stringify(body) }) });
  return r.json();
};

// the index: caption #1 and the photo's bridge vector (visual passage ⊕ ConSE, 0.5 each, as ingest writes it)
const reranker = new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [DATA] });
const { records } = await reranker.records(rows.map((r) => ({ image: join(DATA, 'coco-captions-mini', r.image) })));
await es(`/${index}`, 'DELETE');
const vectorField = opensearch ? { type: 'knn_vector', dimension: 384, method: { name: 'hnsw', engine: 'lucene', space_type: 'cosinesimil' } } : { type: 'dense_vector', dims: 384, index: true, similarity: 'cosine' };
await es(`/${index}`, 'PUT', { settings: { number_of_replicas: 0, ...(opensearch ? { 'index.knn': true } : {}) }, mappings: { properties: { caption: { type: 'text' }, v: vectorField } } });
const lines = rows.flatMap((r, i) => {
  const im = records[i]!.image!;
  const vp = fromFloat16Base64(im.vp);
  const br = fromFloat16Base64(im.br);
  return [JSON.stringify({ index: { _index: index, _id: String(r.coco_id) } }), JSON.stringify({ caption: r.captions[0], v: Array.from(vp, (x, k) => 0.5 * x + 0.5 * br[k]!) })];
});
await es('/_bulk?refresh=true', 'POST', lines.join('\n') + '\n', true);
const vectors = await (await reranker.ports()).text.embed(qs.map((q) => q.text), 'query');
await reranker.close();

const windows = new Map<number, Array<Array<[string, number]>>>();
for (const boost of BOOSTS) {
  const w: Array<Array<[string, number]>> = [];
  for (let i = 0; i < qs.length; i++) {
    const match = textMatch(qs[i]!.text, ['caption'], FUZZY);
    const vector = Array.from(vectors[i]!);
    const body = opensearch
      ? { size: W, _source: false, query: { bool: { should: [match, { knn: { v: { vector, k: W, boost } } }] } } }
      : { size: W, _source: false, query: match, knn: { field: 'v', query_vector: vector, k: W, num_candidates: Math.max(100, W), boost } };
    const j = await es(`/${index}/_search`, 'POST', body);
    w.push(j.hits.hits.map((h: { _id: string; _score: number }) => [h._id, h._score]));
  }
  windows.set(boost, w);
}
if (!argv.includes('--keep')) await es(`/${index}`, 'DELETE');

const pos = new Map(set.ids.map((id, i) => [id, i]));
const sig = (z: number) => 1 / (1 + Math.exp(-z));
const logit = (n: string, x: number) => curves[n]!.a * x + curves[n]!.b;
const rerank = (raw: Record<string, number>) => sig((0.9 * logit('text_text', raw.text_text!) + 0.4 * logit('text_image', raw.text_image!)) / 1.3);
type Map_ = { a: number; b: number };
function ndcg(boost: number, qi: number, map: Map_): number {
  const hits = windows.get(boost)![qi]!.map(([id, s], rank) => ({ id, rank, f: (1 - BLEND) * rerank(set.queries[qi]!.docs[pos.get(id)!]!.raw) + BLEND * sig(map.a * s + map.b) }));
  hits.sort((x, y) => y.f - x.f || x.rank - y.rank);
  const at = hits.findIndex((x) => x.id === qs[qi]!.id);
  return at >= 0 && at < 10 ? 1 / Math.log2(at + 2) : 0;
}
/** Logistic regression (Newton) of "the hit is the query's photo" on the engine score, over the windows of `train`. */
function fitMap(boost: number, train: number[]): Map_ {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const qi of train) for (const [id, s] of windows.get(boost)![qi]!) (xs.push(s), ys.push(id === qs[qi]!.id ? 1 : 0));
  let a = 0;
  let b = 0;
  for (let it = 0; it < 50; it++) {
    let ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    xs.forEach((x, k) => {
      const p = sig(a * x + b);
      const w = p * (1 - p) + 1e-9;
      ga += (ys[k]! - p) * x;
      gb += ys[k]! - p;
      haa += w * x * x;
      hab += w * x;
      hbb += w;
    });
    const det = haa * hbb - hab * hab;
    a += (hbb * ga - hab * gb) / det;
    b += (haa * gb - hab * ga) / det;
  }
  return { a, b };
}
const mean = (f: (qi: number) => number, over: number[]) => over.reduce((s, qi) => s + f(qi), 0) / over.length;
const all = qs.map((_, i) => i);
const f3 = (x: number) => x.toFixed(3);
for (const boost of BOOSTS) {
  const recall = mean((qi) => (windows.get(boost)![qi]!.some(([id]) => id === qs[qi]!.id) ? 1 : 0), all);
  const m = fitMap(boost, all);
  console.log(`boost ${String(boost).padStart(2)}: recall@${W} ${f3(recall)}  nDCG@10 with the map before ${f3(mean((qi) => ndcg(boost, qi, BEFORE_MAP), all))}, with a map fitted on all (in-sample) ${f3(mean((qi) => ndcg(boost, qi, m), all))} (a ${m.a.toFixed(4)}, b ${m.b.toFixed(4)})`);
}
let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const photos = [...new Set(qs.map((q) => q.id))];
for (let i = photos.length - 1; i > 0; i--) {
  const j = Math.floor(rnd() * (i + 1));
  [photos[i], photos[j]] = [photos[j]!, photos[i]!];
}
const fold = new Map(photos.map((p, k) => [p, k % 5]));
let before = 0;
let after = 0;
for (let k = 0; k < 5; k++) {
  const train = all.filter((qi) => fold.get(qs[qi]!.id) !== k);
  const test = all.filter((qi) => fold.get(qs[qi]!.id) === k);
  let best = { boost: 1, map: BEFORE_MAP, v: -1 };
  for (const boost of BOOSTS) {
    const map = fitMap(boost, train);
    const v = mean((qi) => ndcg(boost, qi, map), train);
    if (v > best.v) best = { boost, map, v };
  }
  const b0 = mean((qi) => ndcg(1, qi, BEFORE_MAP), test);
  const b1 = mean((qi) => ndcg(best.boost, qi, best.map), test);
  before += b0 * test.length;
  after += b1 * test.length;
  console.log(`fold ${k}: chose boost ${best.boost} (map a ${best.map.a.toFixed(4)}, b ${best.map.b.toFixed(4)}); held-out nDCG@10 ${f3(b0)} → ${f3(b1)} (${test.length} queries)`);
}
console.log(`5-fold held-out nDCG@10: boost 1 with the map before ${f3(before / qs.length)} → fitted ${f3(after / qs.length)}`);
