/**
 * `npm run bench:unload`: does unloading the models give their memory back (issue 13 §4)? Ten
 * cycles of load → run → unload of the three default models (bge-small text, EfficientNet-Lite2,
 * NanoDet) through the Models facade, printing RSS after each load and each unload, the models'
 * reported (measured: ONNX weight bytes) memory, and the ratchet: the growth of the unloaded
 * baseline from cycle 1 to cycle 10. Each configuration runs in its own child process (RSS of a
 * fresh process), with glibc's default malloc arenas and with MALLOC_ARENA_MAX=2 (native memory
 * freed on one of many per-thread arenas is often not returned to the system).
 *
 * Usage: npm run bench:unload [-- --cycles N]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { modelsSchema } from '../../src/config/schema.js';
import { Models } from '../../src/models/index.js';
import { MODELS_DIR, syntheticImage } from './features.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const CYCLES = arg('--cycles', 10);
const IDS = ['bge-small-en-v1.5', 'efficientnet-lite2-imagenet', 'nanodet-g-coco'];
const mb = (b: number) => Math.round(b / 1024 / 1024);

async function child(): Promise<void> {
  const models = await Models.create(modelsSchema.parse({ dir: MODELS_DIR, intraOpThreads: 2 }));
  const rows: Array<{ cycle: number; loadedMb: number; unloadedMb: number; reportedMb: number }> = [];
  const base = process.memoryUsage().rss;
  for (let c = 1; c <= CYCLES; c++) {
    const te = await models.textEmbedder();
    const cls = await models.imageClassifier();
    const det = await models.objectDetector();
    await te.embed(Array.from({ length: 16 }, (_, i) => `passage ${c} ${i} `.repeat(40)));
    await cls.embed(Array.from({ length: 4 }, (_, i) => syntheticImage(c * 10 + i, cls.preprocess.width)));
    await det.detect(syntheticImage(c, det.preprocess.width));
    const loaded = process.memoryUsage().rss;
    const reported = models.list().filter((m) => IDS.includes(m.id)).reduce((a, m) => a + m.memoryBytes, 0);
    for (const id of IDS) await models.unload(id);
    global.gc?.();
    await new Promise((r) => setTimeout(r, 200));
    rows.push({ cycle: c, loadedMb: mb(loaded), unloadedMb: mb(process.memoryUsage().rss), reportedMb: mb(reported) });
  }
  await models.close();
  process.stdout.write(JSON.stringify({ baseMb: mb(base), rows }) + '\n');
}

function parent(): void {
  const self = fileURLToPath(import.meta.url);
  for (const [label, env] of [
    ['glibc default arenas', {}],
    ['MALLOC_ARENA_MAX=2', { MALLOC_ARENA_MAX: '2' }],
  ] as const) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', '--cycles', String(CYCLES)], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      process.stderr.write(r.stderr);
      process.exit(1);
    }
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { baseMb: number; rows: Array<{ cycle: number; loadedMb: number; unloadedMb: number; reportedMb: number }> };
    console.log(`\n${label}: RSS before the first load ${out.baseMb} MB`);
    console.log(' cycle  loaded MB  unloaded MB  freed MB  reported MB');
    for (const x of out.rows) console.log(`${String(x.cycle).padStart(6)}  ${String(x.loadedMb).padStart(9)}  ${String(x.unloadedMb).padStart(11)}  ${String(x.loadedMb - x.unloadedMb).padStart(8)}  ${String(x.reportedMb).padStart(11)}`);
    const first = out.rows[0]!;
    const last = out.rows[out.rows.length - 1]!;
    console.log(`ratchet (unloaded baseline, cycle ${last.cycle} / cycle 1): ${(last.unloadedMb / first.unloadedMb).toFixed(2)}× (${last.unloadedMb - first.unloadedMb} MB)`);
  }
}

if (process.argv.includes('--child')) await child();
else parent();
