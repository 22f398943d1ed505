/**
 * The tier-cost half of `npm run bench:scale`: what one reranked request (a text query against
 * photos with captions) costs when every feature it needs comes from one place — the in-process
 * L1 cache, the disk tier (lmdb), Redis, a feature record kept in the index (unpacked from the
 * stored `binary` field's value, as the search path does), or a recompute (models run for every
 * photo and text). All five run in one process over one set of ONNX sessions, back to back,
 * printed as ratios to the L1 hit and to the recompute. Each extractor but the L1 one gets an L1
 * too small to keep anything, so each lookup goes down to its tier; the explanations' own
 * `feature_sources` are printed to show where the features really came from.
 * Never asserts a time: it prints.
 */
import { readFileSync } from 'node:fs';
import { configSchema } from '../../src/config/schema.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { unpackRecord, packRecord } from '../../src/features/record/index.js';
import { DiskTier } from '../../src/features/store/disk-tier.js';
import { RedisTier } from '../../src/features/store/redis-tier.js';
import type { LowerTiers } from '../../src/features/store/tiered.js';
import { localPorts, VISUAL_PASSAGE_DETECT_THRESHOLD } from '../../src/rerank/backends/local.js';
import { Reranker } from '../../src/rerank/reranker.js';
import { Models } from '../../src/models/index.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';
import { startRedis, tempStoreDir } from '../../test/helpers/store.js';

export interface TierCost {
  tier: string;
  /** Median time of one request, ms. */
  p50: number;
  perDocMs: number;
  /** Where the documents' features came from, as the last request's usage says. */
  sources: Record<string, number>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function measureTierCosts(o: { documents: number; iterations: number }): Promise<TierCost[]> {
  const rows = readFileSync(`${DATA}/coco-captions-mini/captions.jsonl`, 'utf8').trim().split('\n').slice(0, o.documents);
  const documents = rows.map((l) => {
    const r = JSON.parse(l) as { image: string; captions: string[] };
    return { text: r.captions[0]!, image: `coco-captions-mini/${r.image}` };
  });
  const input = { query: { text: 'a man riding a horse on a beach' }, documents, explain: true };
  const cfg = configSchema.parse({ models: { dir: MODELS, intraOpThreads: 2 }, media: { roots: [DATA] } });
  const metrics = createMetrics({ defaults: false });
  const models = await Models.create(cfg.models, { metrics });
  const dir = tempStoreDir('bench-scale');
  const redisServer = await startRedis();
  const disk = await DiskTier.open({ path: dir.path, maxBytes: 512 << 20 });
  const redis = new RedisTier({ url: redisServer.url, ttlSeconds: 600, maxValueBytes: 2 << 20, lockMs: 5_000, commandTimeoutMs: 1_000, keyPrefix: 'bench-scale:' });
  for (let i = 0; i < 200 && redis.state !== 'ok'; i++) await new Promise((r) => setTimeout(r, 25));
  const extractors: FeatureExtractor[] = [];
  const reranker = async (cacheMaxBytes: number, tiers: LowerTiers) => {
    const features = await FeatureExtractor.create(models, { media: cfg.media, cacheMaxBytes, detectScoreThreshold: VISUAL_PASSAGE_DETECT_THRESHOLD, ocrId: null, tiers });
    extractors.push(features);
    return new Reranker({ ports: await localPorts({ models, features }), mediaRoots: [DATA] });
  };
  try {
    const l1 = await reranker(512 << 20, {});
    const onDisk = await reranker(1, { disk });
    const inRedis = await reranker(1, { redis });
    const recompute = await reranker(1, {});
    // fill each place once: L1 of the first; the disk and Redis through their own rerankers
    await l1.process(input);
    await onDisk.process(input);
    await disk.flushed();
    await inRedis.process(input);
    const c = redisServer.client();
    for (let i = 0; i < 400 && (await c.dbsize()) < documents.length * 3; i++) await new Promise((r) => setTimeout(r, 25));
    await recompute.process(input);
    const packed = (await l1.records(documents)).records.map(packRecord);
    const runs: Array<[string, () => Promise<{ usage: { feature_sources: Record<string, number> } }>]> = [
      ['L1 (in-process)', () => l1.process(input)],
      ['disk (lmdb)', () => onDisk.process(input)],
      ['Redis', () => inRedis.process(input)],
      // the search path: the hits' stored field values unpacked, then reranked from them
      ['index record', () => l1.process(input, { records: packed.map(unpackRecord), recordOrigin: 'index' })],
      ['recompute', () => recompute.process(input)],
    ];
    const times = runs.map(() => [] as number[]);
    const sources = runs.map(() => ({}) as Record<string, number>);
    // interleaved, so a load spike from elsewhere on the machine hits every tier alike
    for (let it = 0; it < o.iterations; it++) {
      for (const [k, [, run]] of runs.entries()) {
        const t = performance.now();
        const out = await run();
        times[k]!.push(performance.now() - t);
        sources[k] = out.usage.feature_sources;
      }
    }
    return runs.map(([tier], k) => ({ tier, p50: median(times[k]!), perDocMs: median(times[k]!) / documents.length, sources: sources[k]! }));
  } finally {
    for (const e of extractors) await e.close();
    await redis.close();
    await disk.close();
    await models.close();
    await redisServer.stop();
    dir.cleanup();
  }
}

export function printTierCosts(rows: TierCost[], documents: number, write: (s: string) => void): void {
  const l1 = rows[0]!.p50;
  const recompute = rows[rows.length - 1]!.p50;
  write(`  cost of one reranked request (text query, ${documents} photos with captions; every feature from one place; median, same process and sessions):\n`);
  for (const r of rows) {
    write(
      `    ${r.tier.padEnd(16)} ${r.p50.toFixed(1).padStart(8)} ms/request ${r.perDocMs.toFixed(2).padStart(7)} ms/document  ×${(r.p50 / l1).toFixed(2)} of L1, ×${(r.p50 / recompute).toFixed(3)} of recompute   sources ${JSON.stringify(r.sources)}\n`,
    );
  }
}
