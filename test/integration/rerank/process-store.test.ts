/**
 * `new Reranker({ store })`: the configuration's `store` section for the library. A reranker with a
 * disk folder and a Redis keeps what it computes in both; a second one on the same folder reads the
 * first's records (explanations say `disk`, no image model run), a third sharing only Redis reads
 * them there (`redis`). Before, `process()` had no such option (only the disk-only `featureStore`,
 * undocumented): a script could not use the tiers `serve` uses (held-out probe round 24c).
 * Real models, real photos, a real redis-server.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RerankOutput } from '../../../src/rerank/types.js';
import { testReranker } from '../../helpers/reranker.js';
import { startRedis, tempStoreDir, type RedisServer } from '../../helpers/store.js';

const coco = (id: string) => `coco-captions-mini/images/val2017/${id}.jpg`;
const request = { query: 'a living room with a television', documents: [{ image: coco('000000000139') }, { image: coco('000000011813'), text: 'a photo' }, { text: 'a bowl of soup' }] };
const dir = tempStoreDir('process');
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  dir.cleanup();
});

const imageSources = (o: RerankOutput) => [...o].sort((a, b) => a.index - b.index).map((r) => r.explanation?.features.image).filter(Boolean);
const imageModelRuns = (o: RerankOutput) => Object.entries(o.usage.model_calls).filter(([k]) => !k.startsWith('bge')).reduce((s, [, n]) => s + n, 0);

async function once(store: object): Promise<RerankOutput> {
  const r = testReranker({ store });
  try {
    return await r.process({ ...request, explain: true });
  } finally {
    await r.close();
  }
}

it('a second Reranker on the same folder reads the first one’s records; one sharing only Redis reads them there', { timeout: 600_000 }, async () => {
  const redisStore = { url: redis.url, keyPrefix: 'tier24-process:', commandTimeoutMs: 1_000 };
  const r = testReranker({ store: { disk: { path: dir.path }, redis: redisStore } });
  const first = await r.process({ ...request, explain: true });
  expect(imageSources(first)).toEqual(['computed', 'computed']);
  // Redis's writes are asynchronous: wait until it holds them before closing
  const c = redis.client();
  for (let i = 0; i < 1200 && (await c.keys('tier24-process:f:*')).length < 4; i++) await new Promise((res) => setTimeout(res, 25));
  await r.close();

  const disk = await once({ disk: { path: dir.path } });
  expect(imageSources(disk)).toEqual(['disk', 'disk']);
  expect(imageModelRuns(disk)).toBe(0);
  expect(disk.scores).toEqual(first.scores);

  const shared = await once({ redis: redisStore });
  expect(imageSources(shared)).toEqual(['redis', 'redis']);
  expect(imageModelRuns(shared)).toBe(0);
  expect(shared.scores).toEqual(first.scores);
});
