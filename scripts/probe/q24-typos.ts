/**
 * Task q24: misspelt queries. A typo query set made by a fixed rule from the public query sets —
 * one edit (delete, insert, substitute or swap with the next letter, chosen by a seeded draw) at a
 * position after the first letter of the query's longest word of 4+ letters (the first such word
 * among equals; a query with none is left out of both sets) — and each query run clean and misspelt
 * through a `vlrerank serve`, with copies of the shipped pipelines without and with
 * `first_stage.fuzzy` (models/CALIBRATION.md "Misspelt queries"). Prints nDCG@10 of the first stage
 * and of the reranked search, and how often the relevant document is in the window at all.
 *   - grocery: each product's name in words → the product (2), its coarse class (1) (81 queries;
 *     test/helpers/search-eval.ts `groceryTextQueries`), window 50;
 *   - coco: caption #2 of each photo → the photo (239), window 50;
 *   - videos: each clip's label → the clips of that label (37), window 20;
 *   - scifact (knowledge-base, BM25 first stage): the 300 test claims → their qrels, window 300
 *     (`--kb-index`: the corpus under another name than the demo's `scifact`).
 * Reads ../shared/data at run time (or VLRERANK_DATA_DIR); copies nothing.
 *
 *   npx tsx scripts/probe/q24-typos.ts --pipelines DIR [--boosts 0.3,0.1]   write the serve's pipelines
 *   npx tsx scripts/probe/q24-typos.ts <vlrerank url> [--boosts 0.3] [--only grocery,coco,videos,scifact]
 *     [--kb-index scifact] [--json out.json]
 *     [--variants typed,popular]   (task q25: the fuzzy runs with the query read as typed / corrected by `popular`)
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const DATA = process.env.VLRERANK_DATA_DIR ?? resolve(REPO, '../shared/data');
const args = process.argv.slice(2);
const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const boosts = (opt('--boosts') ?? '0.3').split(',').map(Number);
const variant = (set: string, b: number | undefined) => `${set}-${b === undefined ? 'exact' : `fuzzy-${String(b).replace('.', '')}`}`;
const PIPELINE: Record<string, string> = { grocery: 'grocery', coco: 'coco', videos: 'videos', scifact: 'knowledge-base' };

// `--pipelines DIR`: the shipped pipelines, and each without `first_stage.fuzzy` (`-exact`) and with
// it at each boost (`-fuzzy-03`…), named by `ext.vlrerank.pipeline`
const pdir = opt('--pipelines');
if (pdir) {
  mkdirSync(pdir, { recursive: true });
  for (const f of readdirSync(join(REPO, 'pipelines')).filter((n) => n.endsWith('.yaml'))) {
    const shipped = readFileSync(join(REPO, 'pipelines', f), 'utf8');
    writeFileSync(join(pdir, f), shipped);
    const text = shipped.replace(/^ {2}fuzzy: .*\n/m, '');
    const name = f.replace(/\.yaml$/, '');
    for (const b of [undefined, ...boosts]) {
      const copy = text
        .replace(/^name: .*$/m, `name: ${variant(name, b)}`)
        .replace(/^index_patterns: .*$/m, `index_patterns: [q24-none-${variant(name, b)}]`)
        .replace(/^default: true$/m, '')
        .replace(/^first_stage:$/m, b === undefined ? 'first_stage:' : `first_stage:\n  fuzzy: { boost: ${b} }`);
      if (b !== undefined && !copy.includes('fuzzy:')) throw new Error(`${f}: no first_stage block`);
      writeFileSync(join(pdir, `${variant(name, b)}.yaml`), copy);
      // task q25: the same fuzzy clause with the reranker reading the query as typed (`-typed`, the
      // code before q25) and corrected by `popular` suggestions (`-popular`); the plain copy takes the default (`missing`)
      if (b === undefined) continue;
      for (const [tag, correct] of [['typed', 'false'], ['popular', 'popular']] as const) {
        writeFileSync(join(pdir, `${variant(name, b)}-${tag}.yaml`), copy.replace(/^name: .*$/m, `name: ${variant(name, b)}-${tag}`).replace(/^index_patterns: .*$/m, `index_patterns: [q24-none-${variant(name, b)}-${tag}]`).replace(`fuzzy: { boost: ${b} }`, `fuzzy: { boost: ${b}, correct: ${correct} }`));
      }
    }
  }
  process.exit(0);
}

const url = args[0] ?? 'http://127.0.0.1:9280';
const only = opt('--only')?.split(',') ?? ['grocery', 'coco', 'videos', 'scifact'];
// SciFact's corpus under another name than the demo's `scifact` (its pipeline named by `ext.vlrerank.pipeline` all the same)
const kbIndex = opt('--kb-index') ?? 'scifact';
const jsonOut = opt('--json');
// task q25: the fuzzy runs also with the query read as typed (`typed`) and corrected by `popular` suggestions
const tags = opt('--variants')?.split(',').filter(Boolean) ?? [];

// mulberry32, seed 24: the same typo for the same query on every run
let seed = 24;
const rand = () => { seed = (seed + 0x6d2b79f5) | 0; let t = seed; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** One edit in the query's longest word of 4+ letters, after its first letter; undefined: no such word. */
function misspell(text: string, r: () => number = rand): string | undefined {
  const words = [...text.matchAll(/[A-Za-z]+/g)];
  const w = words.reduce<RegExpMatchArray | undefined>((best, m) => (m[0].length >= 4 && m[0].length > (best?.[0].length ?? 0) ? m : best), undefined);
  if (!w) return undefined;
  const s = w[0];
  const pos = 1 + Math.floor(r() * (s.length - 1));
  const op = Math.floor(r() * 4);
  const letter = LETTERS[Math.floor(r() * 26)]!;
  let t: string;
  if (op === 1) t = s.slice(0, pos) + letter + s.slice(pos);
  else if (op === 2) t = s.slice(0, pos) + (letter === s[pos]!.toLowerCase() ? LETTERS[(LETTERS.indexOf(letter) + 1) % 26] : letter) + s.slice(pos + 1);
  else if (op === 3 && pos < s.length - 1 && s[pos] !== s[pos + 1]) t = s.slice(0, pos) + s[pos + 1] + s[pos] + s.slice(pos + 2);
  else t = s.slice(0, pos) + s.slice(pos + 1); // delete (and a swap of equal or last letters)
  return text.slice(0, w.index) + t + text.slice(w.index! + s.length);
}

type Query = { set: string; text: string; rel: Map<string, number> };
const lines = <T>(file: string) => readFileSync(join(DATA, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as T);
function querySets(): Query[] {
  const out: Query[] = [];
  // the demo index's ids are the class names (scripts/demo/indices.ts)
  const catalog = lines<{ class_id: number; class_name: string; coarse_class_id: number }>('grocery-store-products/catalog.jsonl');
  for (const c of catalog) out.push({ set: 'grocery', text: c.class_name.replace(/-/g, ' ').toLowerCase(), rel: new Map(catalog.filter((o) => o.coarse_class_id === c.coarse_class_id).map((o) => [o.class_name, o.class_id === c.class_id ? 2 : 1])) });
  for (const c of lines<{ coco_id: number; captions: string[] }>('coco-captions-mini/captions.jsonl')) out.push({ set: 'coco', text: c.captions[1]!, rel: new Map([[String(c.coco_id), 1]]) });
  const videos = lines<{ file: string; label: string }>('intel-sample-videos/videos.jsonl');
  const vid = (file: string) => file.replace(/[/.]/g, '_');
  for (const label of [...new Set(videos.map((v) => v.label))]) out.push({ set: 'videos', text: label, rel: new Map(videos.filter((v) => v.label === label).map((v) => [vid(v.file), 1])) });
  const claims = new Map(lines<{ _id: string; text: string }>('scifact-beir/queries.jsonl').map((q) => [q._id, q.text]));
  const qrels = new Map<string, Map<string, number>>();
  for (const l of readFileSync(join(DATA, 'scifact-beir/qrels/test.tsv'), 'utf8').trim().split('\n').slice(1)) {
    const [q, d] = l.split('\t') as [string, string];
    if (!qrels.has(q)) qrels.set(q, new Map());
    qrels.get(q)!.set(d, 1);
  }
  for (const [q, rel] of qrels) out.push({ set: 'scifact', text: claims.get(q)!, rel });
  return out;
}

const dcg = (gs: number[]) => gs.slice(0, 10).reduce((s, g, i) => s + (2 ** g - 1) / Math.log2(i + 2), 0);
const ndcg = (ids: string[], rel: Map<string, number>) => dcg(ids.map((id) => rel.get(id) ?? 0)) / dcg([...rel.values()].sort((a, b) => b - a));
const found = (ids: string[], rel: Map<string, number>) => ids.filter((id) => rel.has(id)).length / rel.size;
const WINDOW: Record<string, number> = { grocery: 50, coco: 50, videos: 20, scifact: 300 };

async function post(base: string, path: string, body: unknown): Promise<any> {
  for (let attempt = 1; ; attempt++) {
    const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const j = await r.json();
    if (r.ok) return j;
    // a shared engine's circuit breaker (429) on a busy machine: wait and ask again, a few times
    if (r.status !== 429 || attempt === 5) throw new Error(`${path} ${r.status}: ${JSON.stringify(j).slice(0, 300)}`);
    await new Promise((res) => setTimeout(res, 3000 * attempt));
  }
}
type Score = { first: number; reranked?: number; inWindow: number; degraded?: boolean };
async function viaProxy(q: Query, text: string, pipeline: string): Promise<Score> {
  const w = WINDOW[q.set]!;
  const res = await post(url, `/${q.set === 'scifact' ? kbIndex : q.set}/_search`, { size: w, _source: false, ext: { vlrerank: { query: { text }, window: w, explain: true, pipeline } } });
  const hits = res.hits.hits as { _id: string; _vlrerank: { first_stage_rank: number } }[];
  const first = [...hits].sort((a, b) => a._vlrerank.first_stage_rank - b._vlrerank.first_stage_rank).map((h) => h._id);
  return { first: ndcg(first, q.rel), reranked: ndcg(hits.map((h) => h._id), q.rel), inWindow: found(first, q.rel), degraded: res.vlrerank?.degraded === true };
}
type Row = { set: string; clean: string; typo: string; runs: Record<string, { clean: Score; typo: Score }> };
const rows: Row[] = [];
let left = 0;
for (const q of querySets()) {
  const typo = misspell(q.text);
  if (!only.includes(q.set)) continue;
  if (typo === undefined) { left++; continue; }
  const row: Row = { set: q.set, clean: q.text, typo, runs: {} };
  for (const b of [undefined, ...boosts]) {
    for (const tag of b === undefined ? [''] : ['', ...tags]) {
      const run = (t: string) => viaProxy(q, t, `${variant(PIPELINE[q.set]!, b)}${tag ? `-${tag}` : ''}`);
      row.runs[`${b === undefined ? 'exact' : `fuzzy ${b}`}${tag ? ` ${tag}` : ''}`] = { clean: await run(q.text), typo: await run(typo) };
    }
  }
  rows.push(row);
  if (rows.length % 25 === 0) process.stderr.write(`${rows.length} queries\n`);
}

const f = (x: number) => x.toFixed(3);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
console.log(['set', 'n', 'run', 'clean first', 'clean reranked', 'clean in window', 'typo first', 'typo reranked', 'typo in window', 'degraded'].join('\t'));
for (const set of only) {
  const rs = rows.filter((r) => r.set === set);
  if (!rs.length) continue;
  for (const run of Object.keys(rs[0]!.runs)) {
    const s = (k: 'clean' | 'typo', m: 'first' | 'reranked' | 'inWindow') => (rs[0]!.runs[run]![k][m] === undefined ? '—' : f(mean(rs.map((r) => r.runs[run]![k][m]!))));
    const degraded = rs.filter((r) => r.runs[run]!.clean.degraded || r.runs[run]!.typo.degraded).length;
    console.log([set, rs.length, run, s('clean', 'first'), s('clean', 'reranked'), s('clean', 'inWindow'), s('typo', 'first'), s('typo', 'reranked'), s('typo', 'inWindow'), degraded].join('\t'));
  }
}
console.log(`${rows.length} queries, ${left} left out (no word of 4+ letters to misspell); typos: ${rows.slice(0, 3).map((r) => `"${r.typo}"`).join(', ')}…`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 1));
