/**
 * Run every mixed pool (mixed-pools.ts) through `Reranker.process(…, {explain: true})` — the code
 * path that serves requests — and keep each document's raw signal values. Calibration constants do
 * not change raw values, so one collection serves the fit and every before/after comparison.
 *
 *   npx tsx scripts/calibration/collect.ts [--data ../shared/data] [--models ../shared/models] [--quick] [--out .cache/calibration/mixed-pools.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Reranker } from '../../src/rerank/reranker.js';
import { buildPools, type Pool } from './mixed-pools.js';

export async function collect(reranker: Reranker, pools: Pool[], log: (s: string) => void = () => {}, checkpoint?: (done: Pool[]) => void): Promise<Pool[]> {
  const t0 = performance.now();
  for (const [n, pool] of pools.entries()) {
    // a photo query's OCR text (image_ocr_text) is only read when weighted: weight it so its raw value is kept
    // (raw values do not depend on weights; the figures score with the default weights)
    const weights = pool.query.image !== undefined ? { image_ocr_text: 1 } : undefined;
    const out = await reranker.process({ query: pool.query, documents: pool.docs.map((d) => d.doc), explain: true, fps: 1, max_frames: 8, ...(weights ? { weights } : {}) });
    for (const r of out) {
      const raw: Record<string, number> = {};
      for (const s of r.explanation?.signals ?? []) if (Number.isFinite(s.raw)) raw[s.name] = Math.round(s.raw * 1e6) / 1e6;
      pool.docs[r.index]!.raw = raw;
    }
    if (n % 25 === 24) checkpoint?.(pools.slice(0, n + 1));
    if (n % 25 === 0) log(`${n}/${pools.length} pools, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  return pools;
}

const isMain = process.argv[1]?.endsWith('collect.ts');
if (isMain) {
  const args = process.argv.slice(2);
  const arg = (name: string, def: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : def);
  const data = resolve(arg('--data', '../shared/data'));
  const reranker = new Reranker({ modelsDir: resolve(arg('--models', '../shared/models')), device: 'cpu', mediaRoots: [data], calibration: {} });
  await reranker.warmup();
  const out = arg('--out', '.cache/calibration/mixed-pools.json');
  mkdirSync(dirname(out), { recursive: true });
  // paths relative to the data folder, so the file is the same on every machine
  const save = (pools: Pool[]) =>
    writeFileSync(out, JSON.stringify({ version: 1, generated_by: 'scripts/calibration/collect.ts', pools }).split(`${data}/`).join(''));
  // interleaved (every set early on), so that a checkpoint of an interrupted run still covers every set
  const all = buildPools(data, { quick: args.includes('--quick') });
  const bySet = [...new Set(all.map((p) => p.set))].map((set) => all.filter((p) => p.set === set));
  const order: Pool[] = [];
  for (let i = 0; order.length < all.length; i++) for (const s of bySet) if (s[i]) order.push(s[i]!);
  save(await collect(reranker, order, (s) => process.stderr.write(`${s}\n`), save));
  await reranker.close();
}
