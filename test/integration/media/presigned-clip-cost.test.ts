/**
 * A presigned clip is costed by its length at the next admission under a new signature too
 * (held-out probe round 14d): a URL clip's duration is remembered for the next request's admission
 * estimate (frames it will give rather than max_frames), but it was kept under the whole URL, so
 * the same object under a new signature — every search, with presigned URLs — was costed at
 * max_frames again. A real static file server (Python's http.server) serves the clip, the real
 * models read it; the estimate is the extractor's `videoFrames`, what admission asks.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mediaSchema } from '../../../src/config/schema.js';
import { FeatureExtractor } from '../../../src/features/extractor.js';
import { Models } from '../../../src/models/index.js';
import { modelsConfig } from '../../helpers/models.js';
import { DATA } from '../../helpers/paths.js';
import { startStaticObjectHost, type StaticObjectHost } from '../../helpers/static-object-host.js';

let host: StaticObjectHost;
let models: Models;
let fx: FeatureExtractor;
const signed = (sig: string) => `${host.url}/c.mkv?X-Amz-Expires=900&X-Amz-Date=20261205T0000${sig}Z&X-Amz-Signature=${sig.repeat(32)}`;

beforeAll(async () => {
  host = await startStaticObjectHost();
  copyFileSync(join(DATA, 'intel-sample-videos/asl_gestures/bird.mkv'), join(host.dir, 'c.mkv'));
  models = await Models.create(modelsConfig());
  fx = await FeatureExtractor.create(models, { media: mediaSchema.parse({ allowHosts: ['127.0.0.1'] }), cacheMaxBytes: 64 << 20, ocrId: null });
}, 300_000);
afterAll(async () => {
  await fx?.close?.();
  await models?.close?.();
  await host?.stop();
});

it('a presigned clip read once is costed by its frames under another signature, without a fetch', async () => {
  expect(await fx.videoFrames(signed('01'), { fps: 1, maxFrames: 32 })).toBeUndefined(); // never seen: admission keeps max_frames
  const v = await fx.video(signed('01'), { fps: 1, maxFrames: 32 });
  const n = v.frames.length;
  expect(n).toBeLessThan(32);
  expect(await fx.videoFrames(signed('02'), { fps: 1, maxFrames: 32 })).toBe(n); // before the fix: undefined (costed at 32)
  expect(await fx.videoFrames(`${host.url}/other.mkv?X-Amz-Signature=${'03'.repeat(32)}`, { fps: 1, maxFrames: 32 })).toBeUndefined();
  expect(host.count('/c.mkv', 200)).toBe(1);
});
