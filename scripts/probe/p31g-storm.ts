/**
 * Held-out probe round 31g: (1) the same new photo asked by many searches at once — single flight:
 * each model runs once for it (`vlrerank_model_runs_total` before and after); (2) an alias swapped
 * (`_aliases` remove + add in one call) between two indices of the pipeline while searches run
 * through it; (3) an index deleted and created again (the pipeline's mapping, as `index setup`
 * makes it) while searches and writes run on it. Counted: answers other than 200 (or the
 * engine's own 404 for a missing index), degraded answers, hits of neither index, records in `_source`.
 *   npx tsx scripts/probe/p31g-storm.ts [searchers=8]   (P31G_BASE, P31G_ENGINE, P31G_TMP)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineClient } from '../../src/engine/client.js';
import { setupIndex } from '../../src/engine/mapping.js';
import { parseConfig } from '../../src/config/load.js';
import { UpstreamPool } from '../../src/proxy/pool.js';
import { DATA } from '../../test/helpers/paths.js';
import { BASE, DESCRIPTION, ENGINE, PHOTOS, TITLES, bump, call, pick, pipeline, type Violations } from './p31g-lib.js';

const S = Number(process.argv[2] ?? 8);
const v: Violations = {};
const root = join(DATA, 'grocery-store-products');
const store = readFileSync(join(root, 'queries.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => join(root, l.split('\t')[0]!));

// (1) single flight
const runs = async () => {
  const t = await (await fetch(`${BASE}/_vlrerank/metrics`)).text();
  return Object.fromEntries(t.split('\n').filter((l) => l.startsWith('vlrerank_model_runs_total{')).map((l) => [l.replace(/^.*model="([^"]+)".*$/, '$1'), Number(l.split(' ').pop())]));
};
for (const round of [0, 1]) {
  const photo = store[(Date.now() + round * 97) % store.length]!;
  const r0 = await runs();
  const answers = await Promise.all(Array.from({ length: S }, () => call(BASE, 'POST', '/p31g-a1/_search', { size: 3, ext: { vlrerank: { query: { image: photo } } } })));
  const r1 = await runs();
  const delta = Object.fromEntries(Object.keys(r1).map((m) => [m, r1[m]! - (r0[m] ?? 0)]).filter(([, d]) => d));
  console.log(`single flight ${round}: ${S} searches of ${photo.split('/').pop()}: statuses`, answers.map((a) => a.status).join(','), 'model runs', delta);
  for (const a of answers) if (a.status !== 200 || a.json?.vlrerank?.degraded) bump(v, `VIOLATION single-flight search ${a.status} ${a.json?.vlrerank?.reason ?? ''}`);
  for (const [m, d] of Object.entries(delta)) if ((d as number) > 1 && !/bge|text/i.test(m)) bump(v, `VIOLATION ${m} ran ${d}× for one new photo`);
}

// (2) alias swapped while searched
const A = ['p31g-a1', 'p31g-abf'];
await call(ENGINE, 'POST', '/_aliases', { actions: [{ remove: { index: '*', alias: 'p31g-alias', must_exist: false } }, { add: { index: A[0], alias: 'p31g-alias' } }] }).catch(() => undefined);
let on = true;
const seen: Record<string, number> = {};
async function aliasSearcher() {
  while (on) {
    const r = await call(BASE, 'POST', '/p31g-alias/_search', { size: 5, ext: { vlrerank: { query: { text: pick(TITLES) } } } });
    const k = `${r.status}${r.json?.vlrerank?.degraded ? ` degraded ${r.json.vlrerank.reason}` : ''}${r.status !== 200 ? ` ${r.text.slice(0, 120)}` : ''}`;
    seen[k] = (seen[k] ?? 0) + 1;
    for (const h of r.json?.hits?.hits ?? []) {
      if (!A.includes(h._index)) bump(v, 'VIOLATION alias hit of neither index');
      if (h._source?.vlrerank_features) bump(v, 'VIOLATION record in _source');
    }
  }
}
const swaps = (async () => {
  for (let i = 0; i < 30; i++) {
    const r = await call(ENGINE, 'POST', '/_aliases', { actions: [{ remove: { index: A[i % 2], alias: 'p31g-alias' } }, { add: { index: A[(i + 1) % 2], alias: 'p31g-alias' } }] });
    if (r.status !== 200) console.log('swap', r.status, r.text.slice(0, 200));
    await new Promise((ok) => setTimeout(ok, 150));
  }
  on = false;
})();
await Promise.all([swaps, ...Array.from({ length: 4 }, aliasSearcher)]);
console.log('alias swapped 30× under searches:', seen);
for (const [k, n] of Object.entries(seen)) if (!k.startsWith('200') || k.includes('degraded')) bump(v, `VIOLATION alias search ${k.slice(0, 80)}`, n);
await call(ENGINE, 'DELETE', '/p31g-a1,p31g-abf/_alias/p31g-alias');

// (3) an index deleted and created again under searches and writes
const D = 'p31g-adel';
const engine = new EngineClient(new UpstreamPool(parseConfig({ upstream: { urls: [ENGINE] } }).upstream));
const p = pipeline('p31g');
await call(ENGINE, 'DELETE', `/${D}`);
await setupIndex(engine, p, D);
on = true;
const got: Record<string, number> = {};
const count = (k: string) => void (got[k] = (got[k] ?? 0) + 1);
async function delSearcher() {
  while (on) {
    const r = await call(BASE, 'POST', `/${D}/_search`, { size: 5, ext: { vlrerank: { query: { text: pick(TITLES) } } } });
    count(`search ${r.status}${r.json?.vlrerank?.degraded ? ` degraded ${r.json.vlrerank.reason}` : ''}${r.status >= 300 ? ` ${r.json?.error?.type}` : ''}`);
  }
}
async function delWriter() {
  let i = 0;
  while (on) {
    const r = await call(BASE, 'PUT', `/${D}/_doc/x${i++ % 8}?refresh=true`, { title: pick(TITLES), description: DESCRIPTION, image: pick(PHOTOS) });
    count(`write ${r.status}${r.json?.vlrerank?.error ? ` vlrerank.error ${r.json.vlrerank.error.type}` : ''}${r.status >= 300 ? ` ${r.json?.error?.type}` : ''}`);
  }
}
const churn = (async () => {
  for (let i = 0; i < 8; i++) {
    await new Promise((ok) => setTimeout(ok, 700));
    await call(ENGINE, 'DELETE', `/${D}`);
    await new Promise((ok) => setTimeout(ok, 200));
    await setupIndex(engine, p, D).catch((e) => count(`setup failed ${String(e).slice(0, 80)}`));
  }
  on = false;
})();
await Promise.all([churn, delSearcher(), delSearcher(), delWriter()]);
console.log('deleted and made again 8× under searches and writes:', got);
for (const [k, n] of Object.entries(got)) if (!/ 20[01]$/.test(k) && !/ 404 index_not_found_exception$/.test(k)) bump(v, `look: ${k}`, n);
const mapping = await call(ENGINE, 'GET', `/${D}/_mapping`);
const src = await call(ENGINE, 'POST', `/${D}/_search`, { size: 20 });
for (const h of src.json?.hits?.hits ?? []) if (h._source?.vlrerank_features) bump(v, 'VIOLATION record in _source after recreation');
console.log('final mapping has record field:', JSON.stringify(mapping.json).includes('vlrerank_features'));
await call(ENGINE, 'DELETE', `/${D}`);
console.log('violations', v);
process.exit(0);
