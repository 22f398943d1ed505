/**
 * Held-out probe round 26c: partial words, ranked. For each Grocery product its name is typed a
 * letter at a time ("p", "pi", … "pineapple"); at each prefix the product's rank (top 10, else 0)
 * is read from (A) the engine directly with a prefix query of the client's own, (B) the same query
 * through vlrerank with `ext.vlrerank.query.text` (reranked), (C) vlrerank with no query of the
 * client's (the pipeline's own first stage: multi_match + fuzzy + `correct`), `explain` on to read
 * which text the reranker read. MRR@10 per mode and per prefix length, and every prefix the
 * reranker read as another word.
 *
 *   [P26C_PIPELINE=p26cd] npx tsx scripts/probe/p26c-rank.ts es|os   (p26cd: the demo grocery pipeline as it is)
 */
import { rows } from './p26c-lib.js';

const eng = process.argv[2] ?? 'os';
const direct = eng === 'es' ? 'http://127.0.0.1:19200' : 'http://127.0.0.1:19201';
const proxy = eng === 'es' ? 'http://127.0.0.1:19520' : 'http://127.0.0.1:19521';
const pipeline = process.env.P26C_PIPELINE ? { pipeline: process.env.P26C_PIPELINE } : {};
const prefixQuery = (q: string) =>
  eng === 'es'
    ? { bool: { should: [{ match_bool_prefix: { name: q } }, { match_phrase_prefix: { title: q } }] } }
    : { multi_match: { query: q, type: 'bool_prefix', fields: ['name', 'name._2gram', 'name._3gram'] } };

async function ranked(base: string, body: unknown): Promise<any> {
  const r = await fetch(`${base}/p26c-g/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = (await r.json()) as any;
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(j).slice(0, 300)}`);
  return j;
}
const rankOf = (j: any, id: string) => 1 + (j.hits.hits as any[]).findIndex((h) => h._id === id);

const sum: Record<string, Record<number, number[]>> = { A: {}, B: {}, C: {} };
const misread: string[] = [];
for (const r of rows) {
  const typed = r.class_name.toLowerCase().replace(/-/g, ' ');
  for (let n = 2; n <= typed.length; n++) {
    const q = typed.slice(0, n);
    if (q.endsWith(' ')) continue;
    const bucket = Math.min(n, 8);
    const a = await ranked(direct, { size: 10, _source: false, query: prefixQuery(q) });
    const b = await ranked(proxy, { size: 10, _source: false, query: prefixQuery(q), ext: { vlrerank: { ...pipeline, query: { text: q } } } });
    const c = await ranked(proxy, { size: 10, _source: false, explain: true, ext: { vlrerank: { ...pipeline, query: { text: q } } } });
    for (const [m, j] of [['A', a], ['B', b], ['C', c]] as const) {
      const k = rankOf(j, r.class_name);
      (sum[m]![bucket] ??= []).push(k ? 1 / k : 0);
    }
    const read = c.vlrerank?.query_text;
    if (read !== undefined && read !== q) misread.push(`${q} → ${read} (${r.class_name}: C rank ${rankOf(c, r.class_name)}, A ${rankOf(a, r.class_name)})`);
  }
}
const mrr = (xs: number[]) => (xs.reduce((s, x) => s + x, 0) / xs.length).toFixed(3);
for (const m of ['A', 'B', 'C']) console.log(m, Object.entries(sum[m]!).map(([n, xs]) => `${n}:${mrr(xs)}(${xs.length})`).join(' '), 'all', mrr(Object.values(sum[m]!).flat()));
console.log(`read as another word: ${misread.length}`);
for (const x of misread) console.log('  ', x);
