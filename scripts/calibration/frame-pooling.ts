/**
 * Issue 14 §4/§6: which frame pooling makes a clip's text_video value comparable with the other
 * signals. Takes the collected pools (collect.ts), re-scores every text-query pool's clips with each
 * pooling (mean of the frames' values — the default —, best frame, mean of the K best) through
 * Reranker.process (features computed once, shared ports), refits the table on the train pools as
 * fit-calibration.ts does and prints the held-out figures: text_video AUC, the curve, cross-modal
 * inversions with clips involved. Writes nothing.
 *
 *   npx tsx scripts/calibration/frame-pooling.ts [--pools .cache/calibration/mixed-pools.json] [--data ../shared/data]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CalibrationTable } from '../../src/rerank/calibration.js';
import { Reranker } from '../../src/rerank/reranker.js';
import type { FramePooling } from '../../src/rerank/signals/frame-pooling.js';
import { auc, fitTable, figures, pairsOf } from '../fit-calibration.js';
import { isHeldOut, type Pool } from './mixed-pools.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : def);
const data = resolve(arg('--data', '../shared/data'));
const file = JSON.parse(readFileSync(arg('--pools', '.cache/calibration/mixed-pools.json'), 'utf8')) as { pools: Pool[] };
// the collected file keeps paths relative to the data folder
const abs = (d: Record<string, unknown>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, (k === 'video' || k === 'image') && typeof v === 'string' && !v.startsWith('/') ? join(data, v) : v]));
const base = new Reranker({ modelsDir: resolve(arg('--models', '../shared/models')), device: 'cpu', mediaRoots: [data] });
const ports = await base.ports();
const before = (JSON.parse(readFileSync('models/calibration/signals.json', 'utf8')) as { signals: CalibrationTable }).signals;
const r3 = (x: number) => x.toFixed(3);
for (const pooling of ['mean', 'max', 'top2', 'top3'] as FramePooling[]) {
  const r = new Reranker({ ports, framePooling: pooling, cacheDir: '.cache/vlrerank' });
  const pools: Pool[] = structuredClone(file.pools);
  for (const p of pools) {
    if (!p.query.text) continue;
    const vids = p.docs.filter((d) => d.modality === 'video');
    if (!vids.length) continue;
    const out = await r.process({ query: p.query, documents: vids.map((d) => abs(d.doc)), explain: true, fps: 1, max_frames: 8 });
    for (const o of out) {
      const raw = o.explanation?.signals.find((s) => s.name === 'text_video')?.raw;
      if (raw !== undefined) vids[o.index]!.raw = { ...vids[o.index]!.raw, text_video: raw };
    }
  }
  const train = pools.filter((p) => !isHeldOut(p));
  const test = pools.filter((p) => isHeldOut(p));
  const table = fitTable(train, before);
  const tv = table.text_video!;
  const f = figures(test.filter((p) => !!p.query.text), table).cross_modal_inversion;
  const by = (k: string) => `${r3(f.by[k]?.rate ?? NaN)} (${f.by[k]?.pairs ?? 0})`;
  process.stdout.write(
    `${pooling.padEnd(5)} text_video a ${tv.a} b ${tv.b} (raw at p=0.5 ${r3(-tv.b / tv.a)}); train AUC ${r3(auc(pairsOf(train, 'text_video')))}, held-out AUC ${r3(auc(pairsOf(test, 'text_video')))}; ` +
      `held-out text-query inversions ${r3(f.rate)}: text<clip ${by('text>video')}, photo<clip ${by('image>video')}, clip<text ${by('video>text')}, clip<photo ${by('video>image')}\n`,
  );
}
await base.close();
