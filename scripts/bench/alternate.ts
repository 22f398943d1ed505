/**
 * Two sides of a cold-rerank benchmark run alternately request by request (A B, B A, …) in one
 * process, as pool-pairs.ts and src-pairs.ts do: on a machine shared with other work a load swing
 * hits both requests of a pair alike. A side is the Reranker stack of one checkout's src/ (this
 * one, or another for a before/after), built as `serve` builds it, whose feature cache and prepared
 * sides are emptied before each request, so every photo of every request is read, decoded and run
 * through EfficientNet, NanoDet and bge. Each pair's ratios (new ÷ old, wall and CPU) and medians.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';

export const HERE = resolve(import.meta.dirname, '../..');
const SHARED = resolve(HERE, '../shared');
const dir = join(SHARED, 'data/coco-captions-mini/images');
const photos = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.jpe?g$/i.test(f))
  .sort()
  .map((f) => join(dir, f));

/** Main-thread collections during one request: count, major ones (mark-compacts), pause ms. */
export interface Gcs {
  n: number;
  major: number;
  ms: number;
}
let gc: Gcs = { n: 0, major: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.n++;
    gc.ms += e.duration;
    if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === 4) gc.major++; // NODE_PERFORMANCE_GC_MAJOR
  }
}).observe({ entryTypes: ['gc'] });

export interface Timed {
  ms: number;
  /** user + sys of the whole process (sharp's and libvips' threads, the inference workers, GC). */
  cpu: number;
  gc: Gcs;
}

export interface ColdSide {
  cold(k: number): Promise<Timed>;
  close(): Promise<void>;
}

/** `repo`'s src/ built as `serve` builds its Reranker (models merged into the models config), warmed up; `src` imports more of that src/. */
export async function rerankStack(repo: string, models: Record<string, unknown> = {}) {
  const src = (m: string) => import(join(repo, 'src', m));
  const { configSchema } = await src('config/schema.js');
  const { cacheBudget } = await src('config/cache-budget.js');
  const { FeatureExtractor } = await src('features/extractor.js');
  const { Models } = await src('models/index.js');
  const { localPorts, VISUAL_PASSAGE_DETECT_THRESHOLD } = await src('rerank/backends/local.js');
  const { PreparedSides } = await src('rerank/prepared.js');
  const { Reranker } = await src('rerank/reranker.js');
  const cfg = configSchema.parse({ models: { dir: join(SHARED, 'models'), device: 'cpu', ...models }, media: { roots: [SHARED] } });
  const m = await Models.create(cfg.models);
  const features = await FeatureExtractor.create(m, { media: cfg.media, cacheMaxBytes: cacheBudget(cfg.cache.maxBytes).maxBytes, detectScoreThreshold: VISUAL_PASSAGE_DETECT_THRESHOLD });
  const prepared = new PreparedSides();
  const reranker = new Reranker({ mediaRoots: [SHARED], ports: () => localPorts({ models: m, features }), preparedSides: prepared });
  await reranker.warmup();
  return { src, m, features, prepared, reranker };
}

/** A side whose request k reranks N COCO photos (the k-th N of them) cold, with `repo`'s src/ and `models` merged into the models config. */
export async function coldSide(repo: string, n: number, models: Record<string, unknown> = {}): Promise<ColdSide> {
  const { m, features, prepared, reranker } = await rerankStack(repo, models);
  return {
    async cold(k) {
      features.cache.clear();
      prepared.clear();
      const documents = Array.from({ length: n }, (_, i) => ({ image: photos[(k * n + i) % photos.length]! }));
      gc = { n: 0, major: 0, ms: 0 };
      const c = process.cpuUsage();
      const t = performance.now();
      await reranker.process({ query: 'a dog on a couch', documents });
      const u = process.cpuUsage(c);
      return { ms: performance.now() - t, cpu: (u.user + u.system) / 1000, gc };
    },
    async close() {
      await reranker.close();
      await features.close();
      await m.close();
    },
  };
}

/** One discarded request each (sessions loaded, code warm), then `pairs` alternated pairs; `log` gets each pair as it ends. */
export async function alternate(old: ColdSide, neu: ColdSide, pairs: number, log: (k: number, o: Timed, n: Timed) => void): Promise<{ wall: number[]; cpu: number[] }> {
  await old.cold(pairs);
  await neu.cold(pairs);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let k = 0; k < pairs; k++) {
    const [a, b] = k % 2 ? [neu, old] : [old, neu];
    const ra = await a.cold(k);
    const rb = await b.cold(k);
    const [o, n] = k % 2 ? [rb, ra] : [ra, rb];
    wall.push(n.ms / o.ms);
    cpu.push(n.cpu / o.cpu);
    log(k, o, n);
  }
  return { wall, cpu };
}

/** The value after `name` on the command line, or `dflt` (the pair scripts' flags). */
export const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
