/**
 * Fit the reranker's per-signal logistic calibration on labelled pairs from ../shared/data and write
 * models/calibration/signals.json + models/CALIBRATION.md.
 *
 *   npx tsx scripts/fit-calibration.ts [--data ../shared/data] [--models ../shared/models] [--quick]
 *
 * Pairs (positives and sampled negatives, K per query), split by query 70/30 with a fixed seed:
 *   text_image   COCO-mini caption → its own photo vs K random other photos,
 *                + Grocery product description → the product's iconic photo vs K other products' photos
 *   image_image  Grocery in-store photo → its product's iconic photo vs K other products' photos
 *   text_text    SciFact train claims → qrels abstracts vs K BM25 top-100 non-relevant abstracts (minisearch)
 * Each raw value comes from Reranker.process(…, explain) — the exact code path that serves requests.
 * The fit is class-balanced IRLS (calibration.ts `fitLogistic`); held-out accuracy is reported at 0.5.
 * Runs in a few minutes on 2 cores.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import MiniSearch from 'minisearch';
import { Reranker } from '../src/rerank/reranker.js';
import { fitLogistic, sigmoid, type LogisticParams } from '../src/rerank/calibration.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : def;
};
const DATA = resolve(arg('--data', '../shared/data'));
const MODELS = resolve(arg('--models', '../shared/models'));
const QUICK = args.includes('--quick');
const K = 4;

/** mulberry32: a small seeded RNG so the pairs are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(20261125);
function sample<T>(xs: T[], n: number, exclude: (x: T) => boolean): T[] {
  const pool = xs.filter((x) => !exclude(x));
  const out: T[] = [];
  const used = new Set<number>();
  while (out.length < Math.min(n, pool.length)) {
    const i = Math.floor(rand() * pool.length);
    if (!used.has(i)) {
      used.add(i);
      out.push(pool[i]!);
    }
  }
  return out;
}
const jsonl = <T>(f: string): T[] =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

interface Pair {
  x: number;
  y: 0 | 1;
  /** query id: the split is by query so a query's pairs never straddle train and test */
  q: string;
  set: string;
}
const pairs: Record<string, Pair[]> = { text_image: [], image_image: [], text_text: [] };

const reranker = new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [DATA], calibration: {} });
const t0 = performance.now();
await reranker.warmup();

async function collect(set: string, q: string, query: object, docs: object[], labels: Array<0 | 1>, signal: string): Promise<void> {
  const out = await reranker.process({ query, documents: docs, explain: true });
  for (const r of out) {
    const s = r.explanation?.signals.find((x) => x.name === signal);
    if (s && Number.isFinite(s.raw)) pairs[signal]!.push({ x: s.raw, y: labels[r.index]!, q: `${set}:${q}`, set });
  }
}

// --- COCO captions → photos ---
const coco = jsonl<{ image: string; captions: string[] }>(join(DATA, 'coco-captions-mini/captions.jsonl'));
const cocoN = QUICK ? 60 : coco.length;
for (let i = 0; i < cocoN; i++) {
  const row = coco[i]!;
  const caption = row.captions[Math.floor(rand() * row.captions.length)]!;
  const negs = sample(coco, K, (x) => x === row);
  await collect('coco', String(i), { text: caption }, [row, ...negs].map((x) => ({ image: `coco-captions-mini/${x.image}` })), [1, ...negs.map(() => 0 as const)], 'text_image');
}
console.error(`coco done ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// --- Grocery: descriptions → iconic photos; in-store photos → iconic photos ---
interface Product {
  class_id: number;
  title: string;
  description: string | null;
  iconic_image: string;
}
const catalog = jsonl<Product>(join(DATA, 'grocery-store-products/catalog.jsonl'));
const gimg = (p: Product) => ({ image: `grocery-store-products/${p.iconic_image}` });
for (const p of catalog) {
  const negs = sample(catalog, K, (x) => x.class_id === p.class_id);
  await collect('grocery-desc', String(p.class_id), { text: `${p.title}. ${p.description ?? ''}`.trim() }, [p, ...negs].map(gimg), [1, ...negs.map(() => 0 as const)], 'text_image');
}
const queries = readFileSync(join(DATA, 'grocery-store-products/queries.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'))
  .map(([image, cls]) => ({ image: image!, classId: Number(cls) }));
const gq = QUICK ? queries.filter((_, i) => i % 5 === 0) : queries;
for (const [i, q] of gq.entries()) {
  const pos = catalog.find((p) => p.class_id === q.classId)!;
  const negs = sample(catalog, K, (x) => x.class_id === q.classId);
  await collect('grocery-photo', String(i), { image: `grocery-store-products/${q.image}` }, [pos, ...negs].map(gimg), [1, ...negs.map(() => 0 as const)], 'image_image');
}
console.error(`grocery done ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// --- SciFact train claims → abstracts (BM25 negatives) ---
interface Doc {
  _id: string;
  title: string;
  text: string;
}
const corpus = jsonl<Doc>(join(DATA, 'scifact-beir/corpus.jsonl'));
const byId = new Map(corpus.map((d) => [d._id, d]));
const sq = new Map(jsonl<{ _id: string; text: string }>(join(DATA, 'scifact-beir/queries.jsonl')).map((q) => [q._id, q.text]));
const qrels = new Map<string, Set<string>>();
for (const l of readFileSync(join(DATA, 'scifact-beir/qrels/train.tsv'), 'utf8').trim().split('\n').slice(1)) {
  const [qid, did] = l.split('\t');
  if (!qrels.has(qid!)) qrels.set(qid!, new Set());
  qrels.get(qid!)!.add(did!);
}
const bm25 = new MiniSearch<Doc>({ idField: '_id', fields: ['title', 'text'], storeFields: [] });
bm25.addAll(corpus);
const passage = (d: Doc) => `${d.title} ${d.text}`;
const sciQ = [...qrels.keys()].filter((q) => sq.has(q)).slice(0, QUICK ? 60 : 120);
for (const qid of sciQ) {
  const rel = qrels.get(qid)!;
  const hits = bm25.search(sq.get(qid)!).slice(0, 100).map((h) => String(h.id));
  const negIds = sample(hits, K, (id) => rel.has(id));
  const posIds = [...rel].filter((id) => byId.has(id)).slice(0, 2);
  const ids = [...posIds, ...negIds];
  await collect('scifact', qid, { text: sq.get(qid)! }, ids.map((id) => ({ text: passage(byId.get(id)!) })), ids.map((id) => (rel.has(id) ? 1 : 0)), 'text_text');
}
console.error(`scifact done ${((performance.now() - t0) / 1000).toFixed(1)} s`);
await reranker.close();

// --- fit and evaluate ---
function split(ps: Pair[]): { train: Pair[]; test: Pair[] } {
  const test = new Set<string>();
  const qs = [...new Set(ps.map((p) => p.q))];
  const r = rng(7);
  for (const q of qs) if (r() < 0.3) test.add(q);
  return { train: ps.filter((p) => !test.has(p.q)), test: ps.filter((p) => test.has(p.q)) };
}
function balancedAccuracy(ps: Pair[], c: LogisticParams): number {
  const pos = ps.filter((p) => p.y === 1);
  const neg = ps.filter((p) => p.y === 0);
  const tp = pos.filter((p) => sigmoid(c.a * p.x + c.b) >= 0.5).length / pos.length;
  const tn = neg.filter((p) => sigmoid(c.a * p.x + c.b) < 0.5).length / neg.length;
  return (tp + tn) / 2;
}
function auc(ps: Pair[]): number {
  const pos = ps.filter((p) => p.y === 1).map((p) => p.x);
  const neg = ps.filter((p) => p.y === 0).map((p) => p.x);
  let s = 0;
  for (const a of pos) for (const b of neg) s += a > b ? 1 : a === b ? 0.5 : 0;
  return s / (pos.length * neg.length);
}
const signals: Record<string, LogisticParams> = {};
const report: string[] = [];
for (const [name, ps] of Object.entries(pairs)) {
  const { train, test } = split(ps);
  const c = fitLogistic(
    train.map((p) => p.x),
    train.map((p) => p.y),
  );
  signals[name] = { a: round(c.a), b: round(c.b) };
  const sets = [...new Set(ps.map((p) => p.set))].join(', ');
  const line = `| ${name} | ${sets} | ${train.length} (${train.filter((p) => p.y).length}+) | ${test.length} (${test.filter((p) => p.y).length}+) | ${c.a.toFixed(3)} | ${c.b.toFixed(3)} | ${balancedAccuracy(train, c).toFixed(3)} | **${balancedAccuracy(test, c).toFixed(3)}** | ${auc(test).toFixed(3)} | ${(-c.b / c.a).toFixed(3)} |`;
  report.push(line);
  console.error(line);
}
signals.ocr_text = { ...signals.text_text! };
signals.remote = { a: 1, b: 0, input: 'logit' } as LogisticParams;
function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
const seconds = (performance.now() - t0) / 1000;
const file = {
  version: 1,
  generated_by: 'scripts/fit-calibration.ts',
  note: 'p = 1 / (1 + exp(-(a*x + b))); x = raw signal (input "logit": x = logit(raw)). See models/CALIBRATION.md.',
  signals,
};
if (!QUICK || args.includes('--write')) {
  mkdirSync('models/calibration', { recursive: true });
  writeFileSync('models/calibration/signals.json', `${JSON.stringify(file, null, 2)}\n`);
  writeFileSync(
    'models/CALIBRATION.md',
    `# Reranker calibration

Every raw signal of the reranker (a cosine, a logit, a remote score) is mapped to a probability of
relevance by its own logistic curve, \`p = 1 / (1 + exp(-(a·x + b)))\`, so that signals of different
scales can be fused by a weighted mean and a score means the same thing in every request
(src/rerank/calibration.ts, fusion.ts). The constants are in \`models/calibration/signals.json\`
(the model manifests' \`calibration\` field, when filled, overrides them per signal).

## How they were fitted

\`npx tsx scripts/fit-calibration.ts\` (${seconds.toFixed(0)} s on 2 cores${QUICK ? ', --quick subset' : ''}) runs the real models from
\`../shared/models\` through \`Reranker.process(…, {explain: true})\` — the same code path that serves
requests — on labelled pairs from \`../shared/data\`: for each query its relevant item(s) and ${K} sampled
negatives. Queries are split 70/30 (fixed seed); the logistic fit (Newton/IRLS, small L2 on \`a\`) is
**class-balanced**, so p = 0.5 is where a positive and a negative are equally likely regardless of how
many negatives were sampled; read p as "relevant vs. a random candidate", not as a base rate.

| signal | pairs from | train pairs | held-out pairs | a | b | train bal. acc. | held-out bal. acc. | held-out AUC | raw at p=0.5 |
|---|---|---|---|---|---|---|---|---|---|
${report.join('\n')}

- \`text_image\`: the default text→photo signal, 0.5·cos(query, visual passage) + 0.5·cos(query, ConSE vector)
  (../shared/ZERO-SHOT-BRIDGE.md). COCO: caption → own photo vs random photos; Grocery: product title +
  description → the product's catalog photo vs other products' photos. Also used for \`text_video\`,
  \`image_text\` and \`video_text\` (no labelled video pairs to fit on; frames are photos).
- \`image_image\`: EfficientNet-Lite2 cosine; Grocery in-store photo → its product's catalog photo.
  Also used for \`video_image\` and \`video_video\`.
- \`text_text\`: bge-small-en-v1.5 cosine; SciFact *train* claims → qrels abstracts vs BM25 top-100
  non-relevant abstracts (minisearch BM25 first stage). \`ocr_text\` reuses these constants.
- \`remote\`: identity (\`a=1, b=0\` on the logit of the remote score): Cohere-compatible servers,
  Qwen3-VL-Reranker and vlrerank itself already return probabilities. Refit it for a server that does not.
- \`clip\`: not fitted — no trained CLIP-family weights are available here (only a random-weight fixture,
  which is refused for ranking); the fallback in calibration.ts assumes logit_scale·cos ≈ 25 at p = 0.5.

Balanced accuracy at p = 0.5 measures calibration *and* separability; ranking quality (recall, nDCG)
is unaffected by calibration (monotone per signal), see the model tests.
`,
  );
  console.error('wrote models/calibration/signals.json and models/CALIBRATION.md');
} else {
  console.log(JSON.stringify(file, null, 2));
}
