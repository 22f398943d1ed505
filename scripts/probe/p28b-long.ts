/**
 * Held-out probe round 28b: long arrays — 10,000 short texts and 1,000 photo paths in one document —
 * through a chunking pipeline (`p28bc`, records at ingest) and the plain one: ingest time, search time, the
 * record's size, and the metrics' model runs.
 *
 *   npx tsx scripts/probe/p28b-long.ts [n]
 */
import { BANANA, MILK, BASE, ENGINE, call, scores, setup } from './p28b-lib.js';

const n = Number(process.argv[2] ?? 10_000);
const runs = async () => (await (await fetch(`${BASE}/_vlrerank/metrics`)).text()).split('\n').filter((l) => l.startsWith('vlrerank_model_runs_total')).map((l) => l.split(' ')).reduce((a, [, v]) => a + Number(v), 0);
const words = ['ripe', 'yellow', 'fresh', 'organic', 'sweet', 'fruit', 'snack', 'tropical'];
const docs: Record<string, Record<string, unknown>> = {
  short: { title: 'Banana', image: BANANA },
  tags: { title: 'Banana', tags: Array.from({ length: n }, (_, i) => `${words[i % 8]}${i}`), image: BANANA },
  photos: { title: 'Banana', image: [BANANA, ...Array.from({ length: 999 }, (_, i) => `${MILK}?${i}`)] },
};
for (const [pipe, index] of [['p28bc', 'p28b-c1'], ['p28b', 'p28b-r2']] as const) {
  await setup(pipe, index, { title: { type: 'text' }, tags: { type: 'text' } });
  for (const [id, d] of Object.entries(docs)) {
    const before = await runs();
    const w = await call(BASE, 'PUT', `/${index}/_doc/${id}?refresh=true`, d);
    const rec = await call(ENGINE, 'GET', `/${index}/_doc/${id}?stored_fields=vlrerank_features`);
    const size = String(rec.json?.fields?.vlrerank_features?.[0] ?? '').length;
    console.log(pipe, 'write', id, w.status, `${w.ms}ms`, 'model runs', (await runs()) - before, 'record b64 chars', size, JSON.stringify(w.json?.vlrerank ?? '').slice(0, 200));
  }
  const before = await runs();
  const s = await scores(index, 'banana', Object.keys(docs));
  console.log(pipe, 'search', s.status, `${s.ms}ms`, 'model runs', (await runs()) - before, JSON.stringify(s.report?.timings));
  for (const id of Object.keys(docs)) console.log(pipe, id, s.by[id]?._vlrerank?.rerank_score, JSON.stringify(s.by[id]?._vlrerank?.explanation?.signals?.[0]?.detail ?? {}).slice(0, 200), JSON.stringify(s.by[id]?._vlrerank?.media ?? ''));
}
