/**
 * A media URL's validators outlive a restart (fix15; issue 12 §5: a document found by its identity
 * "URL + ETag/Last-Modified" is not read again). A real static file server (Python's http.server,
 * test/helpers/static-object-host.ts: Last-Modified, 304 to If-Modified-Since, the query string
 * ignored as an object store ignores a presigned URL's signature) serves a photo and a clip; a
 * server reranks them, is closed, and a new one starts on the same disk folder. Before the fix the
 * validators lived in memory only: the new server found the features in the disk tier but had
 * nothing to revalidate with, so each URL was downloaded whole once more. Counted: bodies the host
 * sent (200), revalidations (304), image/video model runs. The same with a real Redis (L3) and no
 * disk tier: replicas keep the validators there with the features.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { STORED_SCORE_TOLERANCE } from '../../../src/features/store/codec.js';
import { counterSum } from '../../helpers/metrics.js';
import { DATA } from '../../helpers/paths.js';
import { startColdServer } from '../../helpers/rerank-server.js';
import { scoreMedia, startStaticObjectHost, type StaticObjectHost } from '../../helpers/static-object-host.js';
import { startRedis, tempStoreDir, type RedisServer } from '../../helpers/store.js';

const PHOTO_A = join(DATA, 'coco-captions-mini/images/val2017/000000000139.jpg');
const PHOTO_B = join(DATA, 'coco-captions-mini/images/val2017/000000000802.jpg');
const CLIP = join(DATA, 'intel-sample-videos/asl_gestures/bird.mkv');
const VISUAL_MODELS = ['efficientnet-lite2-imagenet', 'nanodet-g-coco'];

const cleanups: Array<() => unknown> = [];
let host: StaticObjectHost;
let store: { path: string; cleanup(): void };

beforeAll(async () => {
  host = await startStaticObjectHost();
  store = tempStoreDir('url-validators');
}, 60_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await host?.stop();
  store?.cleanup();
});

/** Put `file` in the host's folder as `name`, its Last-Modified `at` (seconds, long past: a validator 14d's 1 s rule keeps). */
const put = (file: string, name: string, at: number) => host.put(file, name, at);
const presigned = (name: string, sig: number) => `${host.url}/${name}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261205T11300${sig}Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${sig.toString(16).padStart(64, '0')}`;
// keepFetchedMs 0: nothing answered from the few-seconds keep of recent bytes, every ask reaches the host
const server = (tier: Record<string, unknown> = { 'store.disk.path': store.path }) => startColdServer(cleanups, { 'media.allowHosts': ['127.0.0.1'], 'media.keepFetchedMs': 0, ...tier });
const visualRuns = async (srv: RunningServer) => (await Promise.all(VISUAL_MODELS.map((model) => counterSum(srv.url, 'vlrerank_model_runs_total', { model })))).reduce((a, b) => a + b, 0);

const score = (srv: RunningServer, doc: Record<string, string>) => scoreMedia(srv.url, doc);

describe('URL validators kept with the features in the disk tier', { timeout: 300_000 }, () => {
  it('after a restart on the same folder a photo and a clip seen before are revalidated (304), not downloaded; a replaced object is fetched', async () => {
    put(PHOTO_A, 'p.jpg', 1_700_000_000);
    put(PHOTO_B, 'q.jpg', 1_700_000_000);
    put(CLIP, 'c.mkv', 1_700_000_000);
    const a = await server();
    const photo = await score(a, { image: `${host.url}/p.jpg` });
    const signed = await score(a, { image: presigned('q.jpg', 1) });
    const clip = await score(a, { video: `${host.url}/c.mkv` });
    expect(await visualRuns(a)).toBeGreaterThan(0);
    await a.close();
    expect([host.count('/p.jpg', 200), host.count('/q.jpg', 200), host.count('/c.mkv', 200)]).toEqual([1, 1, 1]);

    const b = await server();
    expect(await score(b, { image: `${host.url}/p.jpg` })).toBeCloseTo(photo, -Math.log10(STORED_SCORE_TOLERANCE));
    // a presigned URL under a new signature names the same object: its kept validators too (14d's identity)
    expect(await score(b, { image: presigned('q.jpg', 2) })).toBeCloseTo(signed, -Math.log10(STORED_SCORE_TOLERANCE));
    expect(await score(b, { video: `${host.url}/c.mkv` })).toBeCloseTo(clip, -Math.log10(STORED_SCORE_TOLERANCE));
    expect(await visualRuns(b)).toBe(0); // the features from the disk tier
    // before the fix: [2, 2, 2] and no 304 — each URL downloaded whole once more after the restart
    expect([host.count('/p.jpg', 200), host.count('/q.jpg', 200), host.count('/c.mkv', 200)]).toEqual([1, 1, 1]);
    expect([host.count('/p.jpg', 304), host.count('/q.jpg', 304), host.count('/c.mkv', 304)]).toEqual([1, 1, 1]);

    // replaced while the server was down (new bytes, new Last-Modified): the host's 200, and the new bytes' own features
    put(PHOTO_B, 'p.jpg', 1_700_000_100);
    await b.close();
    const c = await server();
    expect(await score(c, { image: `${host.url}/p.jpg` })).toBeCloseTo(signed, -Math.log10(STORED_SCORE_TOLERANCE));
    expect(host.count('/p.jpg', 200)).toBe(2);
    expect(await score(c, { image: `${host.url}/p.jpg` })).toBeCloseTo(signed, -Math.log10(STORED_SCORE_TOLERANCE));
    expect(host.count('/p.jpg', 304)).toBe(2); // its new validators kept in turn
  });

  it('with Redis and no disk tier: after a restart a photo and a clip seen before are revalidated (304), their features Redis hits', async () => {
    const redis: RedisServer = await startRedis();
    cleanups.push(() => redis.stop());
    put(PHOTO_A, 'r.jpg', 1_700_000_000);
    put(CLIP, 'rc.mkv', 1_700_000_000);
    const a = await server({ 'store.redis.url': redis.url, 'store.redis.commandTimeoutMs': 1000 });
    const photo = await score(a, { image: presigned('r.jpg', 3) });
    const clip = await score(a, { video: `${host.url}/rc.mkv` });
    await a.close();
    const b = await server({ 'store.redis.url': redis.url, 'store.redis.commandTimeoutMs': 1000 });
    expect(await score(b, { image: presigned('r.jpg', 4) })).toBeCloseTo(photo, -Math.log10(STORED_SCORE_TOLERANCE));
    expect(await score(b, { video: `${host.url}/rc.mkv` })).toBeCloseTo(clip, -Math.log10(STORED_SCORE_TOLERANCE));
    expect(await visualRuns(b)).toBe(0);
    // before: [2, 2] and no 304
    expect([host.count('/r.jpg', 200), host.count('/rc.mkv', 200)]).toEqual([1, 1]);
    expect([host.count('/r.jpg', 304), host.count('/rc.mkv', 304)]).toEqual([1, 1]);
  });
});
