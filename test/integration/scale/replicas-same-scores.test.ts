/**
 * Two replicas sharing one real redis-server (and a third reading a disk store written by a first
 * life of its own) answer the same request with the same scores. A replica scored with the vectors
 * it had just computed (float32) while the others read them back from Redis or disk as stored
 * (float16): `/v1/rerank` scores differed in the 5th decimal, and a reranked search on the grocery
 * photos answered 0.465084 on one replica, 0.465046 on the other (held-out probe round 9) — near
 * ties could swap. Real servers, real models (bge text vectors, EfficientNet/NanoDet on a photo).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { startColdServer } from '../../helpers/rerank-server.js';
import { startRedis, tempStoreDir, type RedisServer } from '../../helpers/store.js';

let redis: RedisServer;
const cleanups: Array<() => unknown> = [];
beforeAll(async () => {
  redis = await startRedis();
}, 60_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await redis?.stop();
});

const stamp = Date.now();
const request = {
  query: `a ripe red apple on a wooden table ${stamp}`,
  documents: [`apples in a basket ${stamp}`, `a glass of orange juice ${stamp}`, `red apple ${stamp}`, { text: `a photo ${stamp}`, image: 'coco-captions-mini/images/val2017/000000011813.jpg' }],
};

async function scores(srv: RunningServer): Promise<number[]> {
  const res = await fetch(`${srv.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  const body = (await res.json()) as { results: Array<{ index: number; relevance_score: number }> };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.results.sort((a, b) => a.index - b.index).map((r) => r.relevance_score);
}

async function redisHolds(n: number): Promise<void> {
  const c = redis.client();
  for (let i = 0; i < 400 && (await c.keys('vlrerank:f:*')).length < n; i++) await new Promise((r) => setTimeout(r, 25));
}

it('a replica that computed and one that read Redis answer the same scores', { timeout: 300_000 }, async () => {
  const store = { 'store.redis.url': redis.url, 'store.redis.commandTimeoutMs': 2000, 'store.disk.path': 'off' };
  const a = await startColdServer(cleanups, store);
  const b = await startColdServer(cleanups, store);
  const fromA = await scores(a);
  await redisHolds(7); // 5 text vectors, the photo's classification and detections
  expect(await scores(b)).toEqual(fromA);
});

it('a replica answers after a restart what it answered before (its disk store)', { timeout: 300_000 }, async () => {
  const dir = tempStoreDir('same-scores');
  cleanups.push(dir.cleanup);
  const first = await startColdServer([], { 'store.disk.path': dir.path });
  const before = await scores(first);
  await first.close(); // its disk writes are done when it has closed
  const again = await startColdServer(cleanups, { 'store.disk.path': dir.path });
  expect(await scores(again)).toEqual(before);
});
