/**
 * Held-out probe round 23a: a relevance audit with fresh queries (scripts/probe/p23a-queries.json —
 * written for this round, none from the repo's eval sets or tests), judged from the data's own labels
 * (the rule is in the queries file's `judging` block), run through a `vlrerank serve` in front of the
 * demo indices (coco, grocery, videos, scifact) and through its `/v1/rerank` on the same first-stage
 * windows. Prints nDCG@10 / MRR@10 per set × query class: first stage, reranked search, `/v1/rerank`.
 * Reads ../shared/data at run time (or VLRERANK_DATA_DIR); copies nothing.
 *
 *   npx tsx scripts/probe/p23a-relevance.ts <vlrerank url> [--json out.json] [--only set,set] [--api]
 *     [--pipeline-suffix -fuzzy-03-typed]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const DATA = process.env.VLRERANK_DATA_DIR ?? resolve(HERE, '../../../shared/data');
const args = process.argv.slice(2);
const url = args[0] ?? 'http://127.0.0.1:9280';
const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const only = opt('--only')?.split(',');
const withApi = args.includes('--api');
const jsonOut = opt('--json');
// task q25: each set through a pipeline of its own (`--pipeline-suffix -fuzzy-03-typed`: the copies
// scripts/probe/q24-typos.ts --pipelines writes, named by `ext.vlrerank.pipeline`); unset, the index's own
const suffix = opt('--pipeline-suffix');
const PIPELINE: Record<string, string> = { grocery: 'grocery', coco: 'coco', videos: 'videos', scifact: 'knowledge-base' };

type Rel = { coarse?: string[]; class?: number[]; plus1?: number[]; all?: string[]; none?: string[]; label?: string; claim?: string };
type Query = { set: 'grocery' | 'coco' | 'videos' | 'scifact'; class: string; q: string; rel: Rel };
const { queries } = JSON.parse(readFileSync(join(HERE, 'p23a-queries.json'), 'utf8')) as { queries: Query[] };
const lines = <T>(file: string) => readFileSync(join(DATA, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as T);

// The collections as the demo indices hold them (ids as scripts/demo/indices.ts makes them).
type Doc = { id: string; text: string; image?: string; video?: string };
const grocery = lines<{ class_id: number; class_name: string; coarse_class_name: string; title: string; description: string; iconic_image: string }>('grocery-store-products/catalog.jsonl');
const coco = lines<{ coco_id: number; image: string; captions: string[] }>('coco-captions-mini/captions.jsonl');
const videos = lines<{ file: string; label: string; kind: string }>('intel-sample-videos/videos.jsonl');
const scifact = lines<{ _id: string; title: string; text: string }>('scifact-beir/corpus.jsonl');
const qrels = new Map<string, Set<string>>();
for (const l of readFileSync(join(DATA, 'scifact-beir/qrels/test.tsv'), 'utf8').trim().split('\n').slice(1)) {
  const [q, d] = l.split('\t');
  if (!qrels.has(q)) qrels.set(q, new Set());
  qrels.get(q)!.add(d);
}
const videoId = (file: string) => file.replace(/[/.]/g, '_');
const videoTitle = (v: { label: string; kind: string }) => v.kind === 'asl_gesture' ? `ASL sign: ${v.label}` : v.kind === 'scene_full_video' ? `${v.label} (full video)` : v.label;

const docs: Record<Query['set'], Map<string, Doc>> = {
  grocery: new Map(grocery.map((g) => [g.class_name, { id: g.class_name, text: `${g.title}\n${g.description}`, image: join(DATA, 'grocery-store-products', g.iconic_image) }])),
  coco: new Map(coco.map((c) => [String(c.coco_id), { id: String(c.coco_id), text: c.captions[0], image: join(DATA, 'coco-captions-mini', c.image) }])),
  videos: new Map(videos.map((v) => [videoId(v.file), { id: videoId(v.file), text: videoTitle(v), video: join(DATA, 'intel-sample-videos', v.file) }])),
  scifact: new Map(scifact.map((s) => [s._id, { id: s._id, text: `${s.title}\n${s.text}` }])),
};

/** The judging rule of the queries file: each document's gain for a query (0 unless stated). */
function gains(q: Query): Map<string, number> {
  const g = new Map<string, number>();
  const r = q.rel;
  if (q.set === 'grocery') {
    const coarseOf = new Map(grocery.map((p) => [p.class_id, p.coarse_class_name]));
    const coarse2 = new Set(r.coarse ?? []);
    const coarse1 = new Set((r.class ?? []).map((c) => coarseOf.get(c)));
    for (const p of grocery) {
      const v = coarse2.has(p.coarse_class_name) || r.class?.includes(p.class_id) ? 2 : r.plus1?.includes(p.class_id) || coarse1.has(p.coarse_class_name) ? 1 : 0;
      if (v) g.set(p.class_name, v);
    }
  } else if (q.set === 'coco') {
    const all = (r.all ?? []).map((s) => new RegExp(s, 'i'));
    const none = (r.none ?? []).map((s) => new RegExp(s, 'i'));
    for (const c of coco) {
      if (none.length && c.captions.some((t) => none.some((x) => x.test(t)))) continue;
      const n = c.captions.filter((t) => all.every((x) => x.test(t))).length;
      if (n) g.set(String(c.coco_id), n >= 2 ? 2 : 1);
    }
  } else if (q.set === 'videos') {
    const re = new RegExp(r.label!, 'i');
    for (const v of videos) if (re.test(v.label)) g.set(videoId(v.file), 1);
  } else for (const d of qrels.get(r.claim!) ?? []) g.set(d, 1);
  return g;
}

const dcg = (gs: number[]) => gs.slice(0, 10).reduce((s, x, i) => s + (2 ** x - 1) / Math.log2(i + 2), 0);
function metrics(order: string[], g: Map<string, number>) {
  const ideal = dcg([...g.values()].sort((a, b) => b - a));
  const top = Math.max(...g.values());
  const at = order.slice(0, 10).findIndex((id) => g.get(id) === top);
  return { ndcg: ideal ? dcg(order.map((id) => g.get(id) ?? 0)) / ideal : 0, mrr: at >= 0 ? 1 / (at + 1) : 0, top1: order[0] ?? null, top1Gain: g.get(order[0]) ?? 0 };
}

const WINDOW: Record<Query['set'], number> = { grocery: 50, coco: 50, videos: 20, scifact: 100 };
async function post(path: string, body: unknown) {
  const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = await r.json() as any;
  if (!r.ok) throw new Error(`${path} ${r.status}: ${JSON.stringify(j).slice(0, 300)}`);
  return j;
}

type Row = { set: string; class: string; q: string; relevant: number; first: ReturnType<typeof metrics>; reranked: ReturnType<typeof metrics>; api?: ReturnType<typeof metrics>; recallWindow: number; queryText?: string };
// `--eval-files <dir>`: the same queries and judgements as `vlrerank eval` reads them (one pair of
// files per set, `<set>.queries.jsonl` / `<set>.qrels.jsonl`), e.g. for `eval --fit`; no searches.
const evalDir = opt('--eval-files');
if (evalDir) {
  for (const set of ['grocery', 'coco', 'videos', 'scifact'] as const) {
    const qs = queries.map((q, i) => ({ q, i })).filter(({ q }) => q.set === set && (!only || only.includes(set)) && gains(q).size);
    if (!qs.length) continue;
    writeFileSync(join(evalDir, `${set}.queries.jsonl`), qs.map(({ q, i }) => JSON.stringify({ _id: `q${i}`, text: q.q, class: q.class })).join('\n') + '\n');
    writeFileSync(join(evalDir, `${set}.qrels.jsonl`), qs.flatMap(({ q, i }) => [...gains(q)].map(([d, g]) => JSON.stringify({ query_id: `q${i}`, doc_id: d, relevance: g }))).join('\n') + '\n');
  }
  // the COCO data set's own 80 category names (as the COCO detector's class list holds them), each a
  // one-word query judged by the caption rule above: a short-query set derived without hand-picking
  const names = JSON.parse(readFileSync(join(DATA, '../models/nanodet-g-coco/coco_classes.json'), 'utf8')) as string[];
  const cat = names.map((n, i) => ({ i, q: { set: 'coco', class: 'category', q: n, rel: { all: [`\\b${n.replace(/ /g, ' ?')}(s|es)?\\b`] } } as Query })).filter(({ q }) => gains(q).size);
  writeFileSync(join(evalDir, 'coco-categories.queries.jsonl'), cat.map(({ q, i }) => JSON.stringify({ _id: `c${i}`, text: q.q })).join('\n') + '\n');
  writeFileSync(join(evalDir, 'coco-categories.qrels.jsonl'), cat.flatMap(({ q, i }) => [...gains(q)].map(([d, g]) => JSON.stringify({ query_id: `c${i}`, doc_id: d, relevance: g }))).join('\n') + '\n');
  process.exit(0);
}
const rows: Row[] = [];
let skipped = 0;
for (const q of queries) {
  if (only && !only.includes(q.set)) continue;
  const g = gains(q);
  if (!g.size) { skipped++; console.error(`no relevant document: ${q.set} "${q.q}" (left out)`); continue; }
  const w = WINDOW[q.set];
  const res = await post(`/${q.set}/_search`, { size: w, _source: false, ext: { vlrerank: { query: { text: q.q }, window: w, explain: true, ...(suffix ? { pipeline: `${PIPELINE[q.set]}${suffix}` } : {}) } } });
  const hits = res.hits.hits as { _id: string; _vlrerank: { first_stage_rank: number } }[];
  const reranked = hits.map((h) => h._id);
  const first = [...hits].sort((a, b) => a._vlrerank.first_stage_rank - b._vlrerank.first_stage_rank).map((h) => h._id);
  const row: Row = { set: q.set, class: q.class, q: q.q, relevant: g.size, first: metrics(first, g), reranked: metrics(reranked, g), recallWindow: first.filter((id) => g.has(id)).length / g.size, queryText: res.vlrerank?.query_text };
  if (withApi) {
    const ds = first.map((id) => docs[q.set].get(id)!);
    const api = await post('/v1/rerank', { query: q.q, documents: ds.map(({ text, image, video }) => ({ text, ...(image ? { image } : {}), ...(video ? { video } : {}) })) });
    row.api = metrics((api.results as { index: number }[]).map((x) => ds[x.index].id), g);
  }
  rows.push(row);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const f = (x: number) => x.toFixed(3);
const groups = new Map<string, Row[]>();
for (const r of rows) for (const k of [`${r.set}/${r.class}`, `*/${r.class}`, `${r.set}/*`, '*/*']) { if (!groups.has(k)) groups.set(k, []); groups.get(k)!.push(r); }
console.log(['group', 'n', 'nDCG first', 'reranked', withApi ? 'v1/rerank' : '', 'MRR first', 'reranked', withApi ? 'v1/rerank' : '', 'lost', 'wrong top1'].filter(Boolean).join('\t'));
for (const [k, rs] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
  const lost = rs.filter((r) => r.reranked.ndcg < r.first.ndcg - 1e-9).length;
  const wrong = rs.filter((r) => r.reranked.top1Gain === 0).length;
  console.log([k, rs.length, f(mean(rs.map((r) => r.first.ndcg))), f(mean(rs.map((r) => r.reranked.ndcg))), ...(withApi ? [f(mean(rs.map((r) => r.api!.ndcg)))] : []), f(mean(rs.map((r) => r.first.mrr))), f(mean(rs.map((r) => r.reranked.mrr))), ...(withApi ? [f(mean(rs.map((r) => r.api!.mrr)))] : []), lost, wrong].join('\t'));
}
console.log(`${rows.length} queries judged, ${skipped} left out (nothing relevant in the collection)`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 1));
