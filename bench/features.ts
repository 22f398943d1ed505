/**
 * `npm run bench:features`: how fast images go through the feature layer, as ratios to the
 * model-alone ceiling measured in the same run (never absolute thresholds: the machine is shared).
 *
 * Sections (each exported so others can add theirs to this script):
 * - model alone: EfficientNet-Lite2 on ready-made 260×260 tensors at batch 1 / 8 / 32, through the
 *   project's Models facade (batcher + session), and the onnxruntime intra-op spinning on/off
 *   comparison that chose `models.allowSpinning` (PITFALLS.md), both warm (back-to-back) and cold
 *   (a pause before each batch, as sporadic search traffic is).
 *
 * Usage: npm run bench:features [-- --quick]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { modelsSchema } from '../src/config/schema.js';
import { Models, type PreprocessedImage } from '../src/models/index.js';

export const BATCH_SIZES = [1, 8, 32] as const;
export const MODELS_DIR = resolve(process.env.VLRERANK_MODELS_DIR ?? '../shared/models');

export interface Rate {
  label: string;
  batch: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

/** A deterministic, non-constant 260×260 input (values like a normalised photo). */
export function syntheticImage(seed: number, size = 260): PreprocessedImage {
  const plane = size * size;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) data[c * plane + i] = Math.sin(0.013 * i * (c + 1) + seed) * 0.9;
  return { data, dims: [3, size, size], original: { width: size, height: size } };
}

/** Models facade over the shared models with the batcher sized for the largest bench batch. */
export function benchModels(opts: { allowSpinning?: boolean; intraOpThreads?: number } = {}): Promise<Models> {
  return Models.create(
    modelsSchema.parse({
      dir: MODELS_DIR,
      intraOpThreads: opts.intraOpThreads ?? 2,
      allowSpinning: opts.allowSpinning ?? false,
      batch: { maxBatchSize: 32, maxWaitMs: 0, maxQueue: 4096 },
    }),
  );
}

/**
 * Images per second through EfficientNet alone (tensor in → features out) at one batch size.
 * `pauseMs` > 0 sleeps before each batch (cold: the thread pool has gone idle).
 */
export async function benchModelAlone(models: Models, batch: number, images: number, pauseMs = 0, label = 'model alone'): Promise<Rate> {
  const ic = await models.imageClassifier();
  const inputs = Array.from({ length: batch }, (_, i) => syntheticImage(i));
  await ic.embed(inputs); // warm-up: session created, arena sized for this batch
  const rounds = Math.max(1, Math.round(images / batch));
  let busy = 0;
  for (let r = 0; r < rounds; r++) {
    if (pauseMs) await sleep(pauseMs);
    const t0 = performance.now();
    await ic.embed(inputs);
    busy += performance.now() - t0;
  }
  const n = rounds * batch;
  return { label, batch, images: n, seconds: busy / 1000, imagesPerSecond: n / (busy / 1000) };
}

function fmt(r: Rate, ceiling?: number): string {
  const ratio = ceiling ? `  ${(r.imagesPerSecond / ceiling).toFixed(2)}× ceiling` : '';
  return `${r.label.padEnd(34)} batch ${String(r.batch).padStart(2)}  ${r.imagesPerSecond.toFixed(1).padStart(7)} img/s  (${r.images} images, ${(1000 * r.seconds / r.images).toFixed(1)} ms/img)${ratio}`;
}

/** Model-alone section: returns the ceiling (best warm images/s with the default settings) per batch size. */
export async function modelAloneSection(opts: { quick?: boolean } = {}): Promise<Map<number, number>> {
  const images = opts.quick ? 16 : 48;
  const ceiling = new Map<number, number>();
  console.log('\n== model alone: efficientnet-lite2-imagenet, 2 intra-op threads, tensors already preprocessed ==');
  // spinning on/off, interleaved A/B/A/B so that load from other processes hits both alike
  const off = await benchModels({ allowSpinning: false });
  const on = await benchModels({ allowSpinning: true });
  const res: Record<string, Rate[]> = { 'warm off': [], 'warm on': [], 'cold off': [], 'cold on': [] };
  for (const b of BATCH_SIZES) {
    for (let rep = 0; rep < 2; rep++) {
      res['warm off']!.push(await benchModelAlone(off, b, images, 0, 'warm, spinning off'));
      res['warm on']!.push(await benchModelAlone(on, b, images, 0, 'warm, spinning on'));
      res['cold off']!.push(await benchModelAlone(off, b, Math.max(b, images / 2), 250, 'cold (250 ms pause), spinning off'));
      res['cold on']!.push(await benchModelAlone(on, b, Math.max(b, images / 2), 250, 'cold (250 ms pause), spinning on'));
    }
  }
  const best = (k: string, b: number) => res[k]!.filter((r) => r.batch === b).sort((x, y) => y.imagesPerSecond - x.imagesPerSecond)[0]!;
  for (const b of BATCH_SIZES) {
    const base = best('warm off', b);
    ceiling.set(b, base.imagesPerSecond);
    console.log(fmt(base));
    for (const k of ['warm on', 'cold off', 'cold on']) console.log(fmt(best(k, b), base.imagesPerSecond));
  }
  console.log('\nspinning on / off (images/s ratio, >1 means spinning is faster):');
  for (const b of BATCH_SIZES) {
    console.log(`  batch ${String(b).padStart(2)}: warm ${(best('warm on', b).imagesPerSecond / best('warm off', b).imagesPerSecond).toFixed(2)}, cold ${(best('cold on', b).imagesPerSecond / best('cold off', b).imagesPerSecond).toFixed(2)}`);
  }
  console.log(`batching gain (batch 32 / batch 1, spinning off): ${(ceiling.get(32)! / ceiling.get(1)!).toFixed(2)}×`);
  await off.close();
  await on.close();
  return ceiling;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  await modelAloneSection({ quick });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
