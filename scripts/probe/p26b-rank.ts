/**
 * Held-out probe round 26b: where the adversarial documents of `p26b-data.ts` rank for each query —
 * (a) the first stage alone (`_vlrerank.first_stage_rank`), (b) reranked, (c) `/v1/rerank` on the
 * same window — against the best genuine document; the signals of each adversary above it (explain).
 *
 *   npx tsx scripts/probe/p26b-rank.ts http://127.0.0.1:19510 [grocery|sci|coco|photo] [--show]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA } from '../../test/helpers/paths.js';
import { catalog, GROCERY_DIR, groceryQueries } from '../../test/helpers/search-fixtures.js';
import { REUSED, sciData, TARGETS } from './p26b-data.js';

const [base, which = 'grocery'] = process.argv.slice(2) as [string, string?];
const show = process.argv.includes('--show');
type Hit = { _id: string; _score: number; _source: Record<string, any>; _vlrerank?: { first_stage_rank?: number; signals?: any[]; [k: string]: unknown } };

async function search(index: string, pipeline: string, query: Record<string, unknown>, size: number, first: Record<string, unknown>): Promise<Hit[]> {
  const r = await fetch(`${base}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size, ...first, ext: { vlrerank: { pipeline, query, explain: true, window: size } } }) });
  const j = (await r.json()) as any;
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(j).slice(0, 300)}`);
  return j.hits.hits;
}
async function v1(query: unknown, docs: unknown[]): Promise<number[]> {
  const r = await fetch(`${base}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-vlrerank-budget-ms': '300000' }, body: JSON.stringify({ query, documents: docs, return_documents: false }) });
  const j = (await r.json()) as any;
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(j).slice(0, 300)}`);
  return j.results.map((x: any) => x.index);
}

const isAdv = (id: string) => id.startsWith('adv-');
const rows: Array<{ q: string; adv: string; first: number; rer: number; api: number; genFirst: number; genRer: number; genApi: number }> = [];
function record(q: string, first: string[], rer: string[], api: string[], genuine: (id: string) => boolean, advs: (id: string) => boolean, hits: Hit[]): void {
  const pos = (l: string[], id: string) => l.indexOf(id) + 1 || 999;
  const bestGen = (l: string[]) => l.findIndex(genuine) + 1 || 999;
  const g = [bestGen(first), bestGen(rer), bestGen(api)] as const;
  const above = [first, rer, api].map((l, k) => l.filter((id, i) => advs(id) && i + 1 < g[k]!).length);
  console.log(`${q.padEnd(44).slice(0, 44)} genuine best ${g.join('/')}  adversaries above it: first ${above[0]} reranked ${above[1]} api ${above[2]}`);
  for (const id of new Set([...first, ...rer].filter(advs))) {
    rows.push({ q, adv: id, first: pos(first, id), rer: pos(rer, id), api: pos(api, id), genFirst: g[0], genRer: g[1], genApi: g[2] });
    if (pos(rer, id) < g[1] || show) {
      const h = hits.find((x) => x._id === id)!;
      const sig = ((h._vlrerank as any)?.explanation?.signals ?? []).map((s: any) => `${s.name}=${s.raw}/${s.calibrated}w${s.weight}${s.detail?.best_chunk ? `[chunk ${s.detail.best_chunk.index}/${s.detail.chunks}]` : ''}${s.detail?.text_share ? `[share ${s.detail.text_share}]` : ''}`).join(' ');
      console.log(`   ${id.padEnd(26)} first ${pos(first, id)} → reranked ${pos(rer, id)} (api ${pos(api, id)}) score ${h._score}  ${sig}`);
    }
  }
  const gh = hits.find((x) => genuine(x._id));
  if (gh && show) console.log(`   genuine ${gh._id} score ${gh._score} ${((gh._vlrerank as any)?.explanation?.signals ?? []).map((s: any) => `${s.name}=${s.raw}/${s.calibrated}w${s.weight}`).join(' ')}`);
}

async function grocery(): Promise<void> {
  const queries: Array<{ text: string; genuine: string[] }> = [];
  for (const t of TARGETS) for (const q of [t.word, `fresh ${t.word}`, `${t.word} 1 kg`, `organic ${t.word}`]) queries.push({ text: q, genuine: t.genuine });
  queries.push({ text: 'apple', genuine: catalog.filter((c) => c.coarse_class_name === 'Apple').map((c) => c.class_name) }, { text: 'oat milk', genuine: catalog.filter((c) => c.coarse_class_name === 'Oat-Milk').map((c) => c.class_name) }, { text: 'kiwi', genuine: ['Kiwi'] }, { text: 'mango', genuine: ['Mango'] });
  for (const q of queries) {
    const hits = await search('p26b-grocery', 'p26bg', { text: q.text }, 50, {});
    const rer = hits.map((h) => h._id);
    const first = [...hits].sort((a, b) => a._vlrerank!.first_stage_rank! - b._vlrerank!.first_stage_rank!).map((h) => h._id);
    const order = await v1(q.text, first.map((id) => { const s = hits.find((h) => h._id === id)!._source; return { text: [s.title, s.description].filter(Boolean).join('\n'), ...(s.image ? { image: s.image } : {}) }; }));
    record(q.text, first, rer, order.map((i) => first[i]!), (id) => q.genuine.includes(id), isAdv, hits);
  }
}

async function photo(): Promise<void> {
  // search by photo: the reused photo itself, and in-store photos of the reused product and of the carriers
  const own = join(GROCERY_DIR, catalog.find((c) => c.class_name === REUSED)!.iconic_image);
  const byId = new Map(catalog.map((c) => [c.class_id, c.class_name]));
  const qs = [{ image: own, cls: REUSED, label: 'own catalog photo' }, ...groceryQueries(1).filter((q) => [REUSED, ...TARGETS.map((t) => t.carrier)].includes(byId.get(q.classId)!)).slice(0, 12).map((q) => ({ image: q.image, cls: byId.get(q.classId)!, label: q.image.split('/').pop()! }))];
  for (const q of qs) {
    const hits = await search('p26b-grocery', 'p26bg', { image: q.image }, 50, {});
    const rer = hits.map((h) => h._id);
    const first = [...hits].sort((a, b) => a._vlrerank!.first_stage_rank! - b._vlrerank!.first_stage_rank!).map((h) => h._id);
    const order = await v1({ image: q.image }, first.map((id) => { const s = hits.find((h) => h._id === id)!._source; return { text: [s.title, s.description].filter(Boolean).join('\n'), ...(s.image ? { image: s.image } : {}) }; }));
    record(`${q.cls} ${q.label}`, first, rer, order.map((i) => first[i]!), (id) => id === q.cls, isAdv, hits);
  }
}

async function sci(): Promise<void> {
  for (const q of sciData().queries) {
    const hits = await search('p26b-sci', 'p26bk', { text: q.text }, 300, { query: { multi_match: { query: q.text, fields: ['title', 'text'] } } });
    const rer = hits.map((h) => h._id);
    const first = [...hits].sort((a, b) => a._vlrerank!.first_stage_rank! - b._vlrerank!.first_stage_rank!).map((h) => h._id);
    const order = await v1(q.text, first.map((id) => { const s = hits.find((h) => h._id === id)!._source; return `${s.title}\n${s.text}`; }));
    record(q.text, first, rer, order.map((i) => first[i]!), (id) => q.relevant.includes(id), (id) => isAdv(id) && id.endsWith(`-${q.id}`), hits);
  }
}

async function coco(): Promise<void> {
  // genuine: a photo any of whose five captions names the word (only the first is indexed)
  const rows = readFileSync(join(DATA, 'coco-captions-mini/captions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { coco_id: number; captions: string[] }).slice(0, 80);
  for (const word of ['dog', 'pizza', 'giraffe', 'train', 'elephant'])
    for (const q of [word, `a ${word}`, `a photo of a ${word}`, `${word} outside`]) {
      const genuine = new Set(rows.filter((r) => r.captions.some((c) => new RegExp(`\\b${word}`, 'i').test(c))).map((r) => `c${r.coco_id}`));
      const hits = await search('p26b-coco', 'p26bc', { text: q }, 50, {});
      const rer = hits.map((h) => h._id);
      const first = [...hits].sort((a, b) => a._vlrerank!.first_stage_rank! - b._vlrerank!.first_stage_rank!).map((h) => h._id);
      const order = await v1(q, first.map((id) => { const s = hits.find((h) => h._id === id)!._source; return { text: s.caption, image: s.image }; }));
      record(q, first, rer, order.map((i) => first[i]!), (id) => genuine.has(id), (id) => isAdv(id) && (id.endsWith(`-${word}`) || id.startsWith('adv-reuse')), hits);
    }
}

if (which === 'grocery') await grocery();
else if (which === 'coco') await coco();
else if (which === 'photo') await photo();
else if (which === 'sci') await sci();
// summary by adversary kind: how often above the best genuine document, first stage vs reranked vs /v1/rerank
const kinds = new Map<string, { n: number; first: number; rer: number; api: number; lifted: number }>();
for (const r of rows) {
  const k = r.adv.replace(/-[^-]+$/, '').replace(/-\d+$/, '');
  const e = kinds.get(k) ?? { n: 0, first: 0, rer: 0, api: 0, lifted: 0 };
  e.n++;
  if (r.first < r.genFirst) e.first++;
  if (r.rer < r.genRer) e.rer++;
  if (r.api < r.genApi) e.api++;
  if (r.rer < r.first) e.lifted++;
  kinds.set(k, e);
}
console.log('\nkind                 n  above genuine: first reranked api   lifted by rerank');
for (const [k, e] of kinds) console.log(`${k.padEnd(20)} ${String(e.n).padStart(3)}  ${String(e.first).padStart(18)} ${String(e.rer).padStart(8)} ${String(e.api).padStart(4)}   ${e.lifted}`);
