/**
 * Held-out probe round 25b: one (query, document) pair through every door — a reranked `_search`
 * (scores from the index's feature records), `/v1/rerank` on a replica (Redis / disk / computed), one
 * document at a time vs 53 at once, 8 identical requests at once on a cold query, `process()` and
 * `vlrerank rerank`; and a photo query whose exact duplicates must tie, paged.
 *
 *   npx tsx scripts/probe/p25b-ways.ts http://127.0.0.1:19550 http://127.0.0.1:19551 http://127.0.0.1:19552 http://127.0.0.1:19553
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reranker } from '../../src/index.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';
import { check, differ, fmt, rerankApi, results, search, type Hit } from './p25b-lib.js';
import { docs, type Body } from './p25b-data.js';

const [A, B, C, D] = process.argv.slice(2) as [string, string, string, string];
const all = docs();
const asDoc = (b: Body) => ({ ...(b.title || b.description ? { text: [b.title, b.description].filter((x) => x !== undefined).join('\n') } : {}), ...(b.image ? { image: b.image } : {}), ...(b.video ? { video: b.video } : {}) });
const byId = (hs: Hit[]) => new Map(hs.map((h) => [h.id, h.score]));
const stamp = Date.now().toString(36);

// 1. every document by match_all, reranked from records, vs /v1/rerank of the same documents
for (const q of ['apple', 'car detection', `cold query ${stamp}`]) {
  const s = await search(A, { size: 60, query: { match_all: {} }, ext: { vlrerank: { pipeline: 'p25bn', query: { text: q }, window: 60 } } });
  const sm = byId(s.hits);
  for (const [name, base] of [['A', A], ['B', B], ['C', C]] as const) {
    const r = await rerankApi(base, q, all.map((d) => asDoc(d.body)));
    const bad = all.map((d, i) => (sm.get(d.id) === r.byIndex[i] ? '' : `${d.id}: search ${sm.get(d.id)} vs /v1/rerank ${r.byIndex[i]}`)).filter(Boolean);
    check(`"${q}": search from records (A) = /v1/rerank on ${name}`, s.status !== 200 || r.status !== 200 ? `status ${s.status}/${r.status} ${JSON.stringify(r.body).slice(0, 200)}` : bad.slice(0, 3).join('; ') + (bad.length > 3 ? ` (+${bad.length - 3})` : ''));
    // ties: the API keeps the input order among equal scores
    const ord = r.order;
    const tieBad = ord.slice(1).map((x, i) => (r.byIndex[x] === r.byIndex[ord[i]!] && x < ord[i]! ? `${ord[i]} before ${x}` : '')).filter(Boolean);
    check(`"${q}": /v1/rerank on ${name} ties in input order`, tieBad.join('; '));
  }
  // one at a time vs all at once (bge int8 vectors depend on the batch)
  const whole = await rerankApi(D, q, all.map((d) => asDoc(d.body)));
  const alone: Array<number | string | undefined> = [];
  for (const d of all) {
    const r = await rerankApi(D, q, [asDoc(d.body)]);
    alone.push(r.status === 200 ? r.byIndex[0] : `${r.status} ${JSON.stringify(r.body).slice(0, 120)}`);
  }
  const bad = alone.map((v, i) => (v === whole.byIndex[i] ? '' : `${all[i]!.id}: alone ${v} vs in 53 ${whole.byIndex[i]}`)).filter(Boolean);
  check(`"${q}": D one at a time = 53 at once`, bad.slice(0, 3).join('; ') + (bad.length > 3 ? ` (+${bad.length - 3})` : ''));
}

// 2. 8 identical requests at once on a query and documents no one has seen (single flight)
for (const [name, base] of [['B', B], ['C', C]] as const) {
  const q = `fresh fruit ${stamp} ${name}`;
  const texts = Array.from({ length: 20 }, (_, i) => `product ${stamp} number ${i} ${name}: a crisp ${['green', 'red', 'yellow'][i % 3]} apple`);
  const rs = await Promise.all(Array.from({ length: 8 }, () => rerankApi(base, q, texts)));
  const first = JSON.stringify(rs[0]!.body.results);
  check(`8 identical cold /v1/rerank at once on ${name}`, rs.every((r) => JSON.stringify(r.body.results) === first) ? '' : rs.map((r) => r.byIndex.slice(0, 3).join(',')).join(' | '));
  const body = { size: 20, ext: { vlrerank: { pipeline: 'p25bn', query: { text: `${q} sweet apple` } } } };
  const ss = await Promise.all(Array.from({ length: 8 }, () => search(base, body)));
  check(`8 identical cold searches at once on ${name}`, ss.map((s) => differ(ss[0]!.hits, s.hits)).filter(Boolean).join('; '));
}

// 3. process() and the CLI against /v1/rerank
const sample = all.filter((_, i) => i % 4 === 0);
const api = await rerankApi(B, 'apple', sample.map((d) => asDoc(d.body)));
const lib = new Reranker({ modelsDir: MODELS, mediaRoots: [DATA] });
const out = await lib.process({ query: 'apple', documents: sample.map((d) => asDoc(d.body)) });
const libScores: number[] = [];
for (const r of out) libScores[r.index] = Number(r.score.toFixed(6));
await lib.close();
check('process() = /v1/rerank', libScores.map((v, i) => (v === api.byIndex[i] ? '' : `${sample[i]!.id}: ${v} vs ${api.byIndex[i]}`)).filter(Boolean).slice(0, 3).join('; '));
const dir = mkdtempSync(join(tmpdir(), 'p25b-cli-'));
writeFileSync(join(dir, 'docs.jsonl'), sample.map((d) => JSON.stringify(asDoc(d.body))).join('\n') + '\n');
const cliOut = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'rerank', '-q', 'apple', '-d', join(dir, 'docs.jsonl'), '--jsonl', '--models-dir', MODELS], { encoding: 'utf8', env: { ...process.env, VLRERANK_MEDIA_ROOTS: DATA, VLRERANK_STORE_DISK_PATH: join(dir, 'store') } });
const cliScores: number[] = [];
for (const l of cliOut.trim().split('\n')) {
  const j = JSON.parse(l) as { index: number; score: number };
  cliScores[j.index] = j.score;
}
check('vlrerank rerank = /v1/rerank', cliScores.map((v, i) => (v === api.byIndex[i] ? '' : `${sample[i]!.id}: ${v} vs ${api.byIndex[i]}`)).filter(Boolean).slice(0, 3).join('; '));

// 4. a photo query on a match_all first stage: product 0 and its three exact copies tie; pages of 3
const photo0 = all[0]!.body.image!;
for (const [name, base] of [['A', A], ['B', B], ['C', C], ['D', D]] as const) {
  const body = (from: number, size: number) => ({ from, size, query: { match_all: {} }, ext: { vlrerank: { pipeline: 'p25bn', query: { image: photo0 }, window: 60 } } });
  const one = await search(base, body(0, 12));
  if (one.status !== 200) {
    check(`photo query on ${name}`, `status ${one.status} ${JSON.stringify(one.body).slice(0, 300)}`);
    continue;
  }
  console.log(name, fmt(one.hits.slice(0, 6)));
  const top4 = one.hits.slice(0, 4);
  check(`photo query on ${name}: the 4 copies tie at the top`, top4.every((h) => h.score === top4[0]!.score) && new Set(top4.map((h) => h.id)).size === 4 && top4.every((h) => h.id === all[0]!.id || h.id.startsWith('dup-')) ? '' : fmt(top4));
  const pages: Hit[] = [];
  for (let from = 0; from < 12; from += 3) pages.push(...(await search(base, body(from, 3))).hits);
  check(`photo query on ${name}: pages of 3 = one page of 12`, differ(one.hits, pages));
  if (name !== 'A') check(`photo query: A = ${name}`, differ((await search(A, body(0, 12))).hits, one.hits));
}

console.log(`\n${results.filter((r) => !r.ok).length} differences of ${results.length} probes`);
process.exit(0);
