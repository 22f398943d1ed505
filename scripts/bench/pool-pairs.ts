/**
 * `npx tsx scripts/bench/pool-pairs.ts [--n 50] [--pairs 6] [--models JSON]`: a cold rerank of N COCO
 * photos with one inference worker (`models.inferenceWorkers: 1`, the path before perf19) against
 * the default pool, in one process, alternated request by request (A B, B A, …), printed as the
 * median of the per-pair ratios pool ÷ one worker — on a shared machine a load swing hits both
 * requests of a pair alike, which the back-to-back runs of `bench:pystack --base` cannot promise.
 * Each side has its own Models, feature cache and prepared sides (emptied before each request), so
 * every photo of every request is decoded and run through EfficientNet, NanoDet and bge.
 * `--models JSON` is merged into both sides' models config (e.g. '{"inferenceNice":0}').
 */
import { loadavg } from 'node:os';
import { alternate, arg, coldSide, HERE, median } from './alternate.js';

const N = Number(arg('--n', '50'));
const PAIRS = Number(arg('--pairs', '6'));
const OVERRIDE = JSON.parse(arg('--models', '{}')) as Record<string, unknown>;
const side = (workers: number) => coldSide(HERE, N, { ...OVERRIDE, inferenceWorkers: workers });

const one = await side(1);
const pool = await side(0);
const load0 = loadavg()[0]!;
const { wall: ratios, cpu } = await alternate(one, pool, PAIRS, (k, o, p) =>
  console.log(`pair ${k + 1}: one worker ${o.ms.toFixed(0)} ms (CPU ${o.cpu.toFixed(0)}), pool ${p.ms.toFixed(0)} ms (CPU ${p.cpu.toFixed(0)}), pool ÷ one ${(p.ms / o.ms).toFixed(2)}`),
);
console.log(`N=${N}, ${PAIRS} pairs: pool ÷ one worker, median of per-pair ratios: wall ${median(ratios).toFixed(2)}, CPU ${median(cpu).toFixed(2)}; loadavg ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`);
await one.close();
await pool.close();
