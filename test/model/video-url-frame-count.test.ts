// A URL clip read before is costed at admission by the frames its last read gave, not at
// max_frames (stop 27 left: a URL is not read before admission, so a clip asked again weighed
// max_frames × 6 documents of work each time — a burst of such clips could be refused up front).
// A new URL still has no estimate (undefined: the caller keeps max_frames). Real clips (Intel,
// 3.0 s and 1.9 s) served by an HTTP server of the test's own, real ffmpeg and models.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mediaSchema } from '../../src/config/schema.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { frameTimes } from '../../src/features/media/video-frames.js';
import { Models } from '../../src/models/index.js';
import { closeLocal, listenLocal } from '../helpers/local-host.js';
import { modelsConfig } from '../helpers/models.js';
import { DATA } from '../helpers/paths.js';

const FILES: Record<string, Buffer> = {
  '/a.mp4': readFileSync(join(DATA, 'intel-sample-videos/clips/bottle-detection.mp4')),
  '/c.mp4': readFileSync(join(DATA, 'intel-sample-videos/clips/people-detection.mp4')),
};
let host: Server;
let base: string;
let models: Models;
let fx: FeatureExtractor;

beforeAll(async () => {
  host = createServer((req, res) => {
    const body = FILES[req.url ?? ''];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(body.length) }).end(body);
  });
  base = (await listenLocal(host)).replace('127.0.0.1', 'localhost');
  models = await Models.create(modelsConfig());
  fx = await FeatureExtractor.create(models, { media: mediaSchema.parse({ allowHosts: ['localhost'] }), cacheMaxBytes: 64 << 20, ocrId: null });
}, 120_000);
afterAll(async () => {
  await fx?.close();
  await models?.close();
  await closeLocal(host);
});

it('a URL clip read before: its frames at any fps / max_frames; a new one: no estimate', { timeout: 180_000 }, async () => {
  for (const path of ['/a.mp4', '/c.mp4']) {
    const url = `${base}${path}`;
    expect(await fx.videoFrames(url, { fps: 1, maxFrames: 32 })).toBeUndefined();
    const r = await fx.video(url, { fps: 1, maxFrames: 32, detect: false });
    expect(r.duration).toBeGreaterThan(1);
    expect(await fx.videoFrames(url, { fps: 1, maxFrames: 32 })).toBe(r.frames.length);
    expect(await fx.videoFrames(url, { fps: 4, maxFrames: 32 })).toBe(frameTimes(r.duration!, 4, 32).length);
    expect(await fx.videoFrames(url, { fps: 30, maxFrames: 8 })).toBe(8);
  }
  expect(await fx.videoFrames(`${base}/never-read.mp4`, { fps: 1, maxFrames: 32 })).toBeUndefined();
});
