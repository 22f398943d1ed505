// Remote images with an ETag are revalidated, not re-downloaded: the second request sends
// If-None-Match, the server answers 304, and the cached features are served; a changed image
// (new ETag) gets new features. Each ask here is one made after `media.keepFetchedMs` (the keep
// of a fetch's bytes for the asks that follow at once, recent.ts): the keep is off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mediaSchema } from '../../src/config/schema.js';
import { Models } from '../../src/models/index.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { DATA } from '../helpers/paths.js';
import { modelsConfig } from '../helpers/models.js';

const coffee = readFileSync(join(DATA, 'skimage-clip-smoke/images/coffee.png'));
const rocket = readFileSync(join(DATA, 'skimage-clip-smoke/images/rocket.jpg'));
let current = { body: coffee, etag: '"coffee-1"', type: 'image/png' };
const log: Array<{ inm?: string; status: number }> = [];
let server: Server;
let base = '';
let models: Models;
let fx: FeatureExtractor;

beforeAll(async () => {
  server = createServer((req, res) => {
    const inm = req.headers['if-none-match'];
    if (inm === current.etag) {
      log.push({ inm, status: 304 });
      res.writeHead(304, { etag: current.etag }).end();
      return;
    }
    log.push({ inm, status: 200 });
    res.writeHead(200, { 'content-type': current.type, etag: current.etag }).end(current.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://localhost:${(server.address() as AddressInfo).port}`;
  models = await Models.create(modelsConfig());
  fx = await FeatureExtractor.create(models, { media: mediaSchema.parse({ allowHosts: ['localhost'], keepFetchedMs: 0 }), cacheMaxBytes: 16 << 20, ocrId: null });
});
afterAll(async () => {
  await fx.close();
  await models.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('URL + ETag revalidation', () => {
  it('downloads once, then revalidates with If-None-Match and serves the cached features on 304', async () => {
    const first = await fx.image(`${base}/product.png`, { detect: false });
    expect(first.cacheHit).toBe(false);
    expect(first.features.topConcepts[0]!.label).toMatch(/espresso/);
    const second = await fx.image(`${base}/product.png`, { detect: false });
    expect(second.cacheHit).toBe(true);
    expect(second.features.embedding).toBe(first.features.embedding);
    expect(log).toEqual([{ status: 200 }, { inm: '"coffee-1"', status: 304 }]);
  });

  it('gets new features when the image behind the URL changed (new ETag)', async () => {
    current = { body: rocket, etag: '"rocket-1"', type: 'image/jpeg' };
    log.length = 0;
    const r = await fx.image(`${base}/product.png`, { detect: false });
    expect(log).toEqual([{ inm: '"coffee-1"', status: 200 }]);
    expect(r.cacheHit).toBe(false);
    expect(r.features.topConcepts[0]!.label).not.toMatch(/espresso/);
  });

  it('fetches the body when a part is missing (detections not computed yet)', async () => {
    log.length = 0;
    const r = await fx.image(`${base}/product.png`, { detect: true });
    expect(log).toEqual([{ status: 200 }]);
    expect(Array.isArray(r.features.detections)).toBe(true);
  });
});
