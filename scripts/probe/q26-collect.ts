/**
 * Task q26: do short queries lose to the first stage, and which signal makes them? Collects, through a
 * `vlrerank serve` in front of the demo indices, every reranked hit's signals (`explain`), first-stage
 * score and rank, and the document's text fields, for
 *   - coco: captions #2–#5 → their photo (956, the pipeline's fit set), the COCO category names
 *     (`p23a-relevance.ts --eval-files`, coco-categories.*: a short set from the data's own labels),
 *   - grocery: each product's name → the product (2) and its coarse class (1) (81, as q24-typos.ts),
 *   - videos: each clip's label → the clips of that label,
 *   - round 23a's fresh queries of each set (`<set>.*` of the same folder), kept out of every fit,
 * and writes them as one JSON file for `q26-coverage.ts`, which refits offline.
 *
 *   npx tsx scripts/probe/p23a-relevance.ts - --eval-files DIR
 *   npx tsx scripts/probe/q26-collect.ts <vlrerank url> DIR out.json [--only coco,grocery,videos]
 *   npx tsx scripts/probe/q26-collect.ts --split <engine url> coco.json coco-split.json
 * `--split` asks the engine (read-only) for the BM25 part of each coco hit's hybrid `_score` — the
 * pipeline's own text match (src/search/plan.ts textMatch) filtered to the window's ids — so the kNN
 * part is (_score − BM25) / knn_boost; what a map reading the two apart needs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { textMatch } from '../../src/search/plan.js';

const DATA = process.env.VLRERANK_DATA_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
const args = process.argv.slice(2);
if (args[0] === '--split') {
  const [, engine, inFile, outFile] = args;
  const fuzzy = { boost: 0.3, fuzziness: 'AUTO' as const, prefix_length: 1, max_expansions: 50, correct: false as const }; // coco.yaml's boost, the schema's defaults (correct does not change the match)
  const qs = (JSON.parse(readFileSync(inFile!, 'utf8')) as Q[]);
  for (const q of qs.filter((x) => x.set === 'coco')) {
    const body = { size: q.hits.length, _source: false, query: { bool: { must: textMatch(q.text, ['caption'], fuzzy), filter: { ids: { values: q.hits.map((h) => h.id) } } } } };
    const r = await fetch(`${engine}/coco/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const j = await r.json() as { hits: { hits: { _id: string; _score: number }[] } };
    const bm = new Map(j.hits.hits.map((h) => [h._id, h._score]));
    for (const h of q.hits) h.bm25 = bm.get(h.id) ?? 0;
  }
  writeFileSync(outFile!, JSON.stringify(qs));
  process.exit(0);
}
const [url = 'http://127.0.0.1:9280', dir = '.', out = 'q26.json'] = args;
const only = (args.includes('--only') ? args[args.indexOf('--only') + 1]! : 'coco,grocery,videos').split(',');
const WINDOW: Record<string, number> = { grocery: 50, coco: 50, videos: 20 };
const FIELDS: Record<string, string[]> = { grocery: ['title', 'description'], coco: ['caption'], videos: ['title'] };

export type Signal = { name: string; raw: number; calibrated: number; weight: number };
export type Hit = { id: string; rank: number; first: number; bm25?: number; rerank: number; score: number; gain: number; text: string; signals: Signal[] };
export type Q = { set: string; kind: 'fit' | 'short' | 'fresh'; group: string; text: string; cls?: string; idcg: number; hits: Hit[] };

const dcg = (gs: number[]) => gs.slice(0, 10).reduce((s, g, i) => s + (2 ** g - 1) / Math.log2(i + 2), 0);
async function collect(set: string, kind: Q['kind'], group: string, text: string, gains: Map<string, number>, cls?: string): Promise<Q> {
  const w = WINDOW[set]!;
  const r = await fetch(`${url}/${set}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: w, _source: FIELDS[set], ext: { vlrerank: { query: { text }, window: w, explain: true } } }) });
  if (!r.ok) throw new Error(`${set} "${text}": ${r.status} ${await r.text()}`);
  const j = await r.json() as { hits: { hits: { _id: string; _score: number; _source: Record<string, unknown>; _vlrerank: { first_stage_rank: number; first_stage_score: number | null; rerank_score: number; explanation?: { signals?: Signal[] } } }[] } };
  const hits = j.hits.hits.map((h) => ({
    id: h._id, rank: h._vlrerank.first_stage_rank, first: h._vlrerank.first_stage_score ?? 0, rerank: h._vlrerank.rerank_score, score: h._score,
    gain: gains.get(h._id) ?? 0, text: FIELDS[set]!.map((f) => String(h._source?.[f] ?? '')).join('\n'),
    signals: (h._vlrerank.explanation?.signals ?? []).map((s) => ({ name: s.name, raw: s.raw, calibrated: s.calibrated, weight: s.weight })),
  }));
  return { set, kind, group, text, cls, idcg: dcg([...gains.values()].sort((a, b) => b - a)), hits };
}
const jsonl = <T>(file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as T);
async function judged(set: string, prefix: string, kind: Q['kind']): Promise<Q[]> {
  const g = new Map<string, Map<string, number>>();
  for (const x of jsonl<{ query_id: string; doc_id: string; relevance: number }>(join(dir, `${prefix}.qrels.jsonl`))) {
    if (!g.has(x.query_id)) g.set(x.query_id, new Map());
    g.get(x.query_id)!.set(x.doc_id, x.relevance);
  }
  const qs: Q[] = [];
  for (const q of jsonl<{ _id: string; text: string; class?: string }>(join(dir, `${prefix}.queries.jsonl`))) qs.push(await collect(set, kind, q._id, q.text, g.get(q._id)!, q.class));
  return qs;
}

const all: Q[] = [];
if (only.includes('coco')) {
  for (const c of jsonl<{ coco_id: number; captions: string[] }>(join(DATA, 'coco-captions-mini/captions.jsonl')))
    for (const t of c.captions.slice(1, 5)) all.push(await collect('coco', 'fit', String(c.coco_id), t, new Map([[String(c.coco_id), 1]])));
  all.push(...await judged('coco', 'coco-categories', 'short'));
  all.push(...await judged('coco', 'coco', 'fresh'));
}
if (only.includes('grocery')) {
  const catalog = jsonl<{ class_id: number; class_name: string; coarse_class_id: number }>(join(DATA, 'grocery-store-products/catalog.jsonl'));
  for (const c of catalog) all.push(await collect('grocery', 'short', c.class_name, c.class_name.replace(/-/g, ' ').toLowerCase(), new Map(catalog.filter((o) => o.coarse_class_id === c.coarse_class_id).map((o) => [o.class_name, o.class_id === c.class_id ? 2 : 1]))));
  all.push(...await judged('grocery', 'grocery', 'fresh'));
}
if (only.includes('videos')) {
  const videos = jsonl<{ file: string; label: string }>(join(DATA, 'intel-sample-videos/videos.jsonl'));
  const vid = (file: string) => file.replace(/[/.]/g, '_');
  for (const label of [...new Set(videos.map((v) => v.label))]) all.push(await collect('videos', 'short', label, label, new Map(videos.filter((v) => v.label === label).map((v) => [vid(v.file), 1]))));
  all.push(...await judged('videos', 'videos', 'fresh'));
}
writeFileSync(out, JSON.stringify(all));
console.log(`${all.length} queries → ${out}`);
