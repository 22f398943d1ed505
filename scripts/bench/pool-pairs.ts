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
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { cacheBudget } from '../../src/config/cache-budget.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { Models } from '../../src/models/index.js';
import { localPorts, VISUAL_PASSAGE_DETECT_THRESHOLD } from '../../src/rerank/backends/local.js';
import { PreparedSides } from '../../src/rerank/prepared.js';
import { Reranker } from '../../src/rerank/reranker.js';

const SHARED = resolve(import.meta.dirname, '../../../shared');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const N = Number(arg('--n', '50'));
const PAIRS = Number(arg('--pairs', '6'));
const OVERRIDE = JSON.parse(arg('--models', '{}')) as Record<string, unknown>;
const dir = join(SHARED, 'data/coco-captions-mini/images');
const photos = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.jpe?g$/i.test(f))
  .sort()
  .map((f) => join(dir, f));

async function side(workers: number) {
  const cfg = configSchema.parse({ models: { dir: join(SHARED, 'models'), device: 'cpu', ...OVERRIDE, inferenceWorkers: workers }, media: { roots: [SHARED] } });
  const models = await Models.create(cfg.models);
  const features = await FeatureExtractor.create(models, { media: cfg.media, cacheMaxBytes: cacheBudget(cfg.cache.maxBytes).maxBytes, detectScoreThreshold: VISUAL_PASSAGE_DETECT_THRESHOLD });
  const prepared = new PreparedSides();
  const reranker = new Reranker({ mediaRoots: [SHARED], ports: () => localPorts({ models, features }), preparedSides: prepared });
  await reranker.warmup();
  return {
    async cold(k: number): Promise<{ ms: number; cpu: number }> {
      features.cache.clear();
      prepared.clear();
      const documents = Array.from({ length: N }, (_, i) => ({ image: photos[(k * N + i) % photos.length]! }));
      const c = process.cpuUsage();
      const t = performance.now();
      await reranker.process({ query: 'a dog on a couch', documents });
      const u = process.cpuUsage(c);
      return { ms: performance.now() - t, cpu: (u.user + u.system) / 1000 };
    },
    async close() {
      await reranker.close();
      await features.close();
      await models.close();
    },
  };
}

const one = await side(1);
const pool = await side(0);
await one.cold(PAIRS);
await pool.cold(PAIRS); // one discarded request each (sessions loaded, code warm)
const ratios: number[] = [];
const cpu: number[] = [];
const load0 = loadavg()[0]!;
for (let k = 0; k < PAIRS; k++) {
  const [a, b] = k % 2 ? [pool, one] : [one, pool];
  const ra = await a.cold(k);
  const rb = await b.cold(k);
  const [o, p] = k % 2 ? [rb, ra] : [ra, rb];
  ratios.push(p.ms / o.ms);
  cpu.push(p.cpu / o.cpu);
  console.log(`pair ${k + 1}: one worker ${o.ms.toFixed(0)} ms (CPU ${o.cpu.toFixed(0)}), pool ${p.ms.toFixed(0)} ms (CPU ${p.cpu.toFixed(0)}), pool ÷ one ${(p.ms / o.ms).toFixed(2)}`);
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`N=${N}, ${PAIRS} pairs: pool ÷ one worker, median of per-pair ratios: wall ${med(ratios).toFixed(2)}, CPU ${med(cpu).toFixed(2)}; loadavg ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`);
await one.close();
await pool.close();
