/**
 * The image decode slots (`models.maxConcurrentDecodes`, the CPU-bound decode and preprocessing)
 * are waited for in the lane of the request's signal (util/lanes.ts): with every slot taken, an
 * ingest's photos wait as `background` and a search's as `foreground`, so the search's decode is
 * served first (held-out probe round 11b: the decode slots were taken without the signal, first
 * come, first served — an ingest of many photos held a search's decode behind it). Real photos,
 * real models, the extractor built from the parts the feature layer builds it from; the slot is
 * held by the test, so what is asserted is where each photo waits, not how long.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mediaSchema } from '../../src/config/schema.js';
import { FeatureCache } from '../../src/features/cache/feature-cache.js';
import { ImageExtractor } from '../../src/features/image-extractor.js';
import { KnownMedia } from '../../src/features/known-media.js';
import { MediaSlots } from '../../src/features/media-slots.js';
import { MediaSource } from '../../src/features/media/source.js';
import { PartKeys, sizeOfPart, type Part } from '../../src/features/parts.js';
import { TieredFeatures } from '../../src/features/store/tiered.js';
import { VisualModels } from '../../src/features/visual-models.js';
import { DEFAULT_MODELS, Models } from '../../src/models/index.js';
import { inLane } from '../../src/util/lanes.js';
import { Semaphore } from '../../src/util/semaphore.js';
import { DATA } from '../helpers/paths.js';
import { modelsConfig } from '../helpers/models.js';

const dir = join(DATA, 'coco-captions-mini/images/val2017');
const photos = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 5).map((f) => join(dir, f));
let models: Models;
let images: ImageExtractor;
let source: MediaSource;
const cpu = new Semaphore(1);

beforeAll(async () => {
  models = await Models.create(modelsConfig({ batch: { maxBatchSize: 16, maxWaitMs: 2, maxQueue: 1024 } }));
  const parts = { classifier: await models.imageClassifier(DEFAULT_MODELS.imageClassifier), detector: await models.objectDetector(DEFAULT_MODELS.objectDetector) };
  const media = mediaSchema.parse({ roots: [DATA] });
  source = new MediaSource(media);
  images = new ImageExtractor({
    cache: new TieredFeatures(new FeatureCache<Part>({ maxBytes: 64 << 20, sizeOf: sizeOfPart })),
    keys: new PartKeys(parts, { topK: 5, videoShortestSide: 448 }),
    models: new VisualModels(parts, cpu, { maxBatch: 16, topK: 5 }),
    source,
    known: new KnownMedia(),
    limits: { maxBytes: media.maxBytes, maxPixels: media.maxPixels },
    slots: new MediaSlots(new Semaphore(8), new Semaphore(8)),
    cpu,
  });
});
afterAll(async () => {
  await source?.close();
  await models?.close();
});

describe('image decode slots in lanes', () => {
  it("queue an ingest's photos behind a search's, and every photo still gets its features", async () => {
    const hold = await cpu.acquire();
    const ingest = inLane('background').signal;
    const queued = photos.slice(0, 4).map((p) => images.image(p, { detect: false, signal: ingest }));
    const search = images.image(photos[4]!, { detect: false, signal: inLane('foreground').signal });
    const waiting = () => Object.values(cpu.waiting()).reduce((a, b) => a + b, 0);
    await vi.waitFor(() => expect(waiting()).toBe(5), { timeout: 60_000, interval: 5 });
    expect(cpu.waiting()).toEqual({ query: 0, foreground: 1, background: 4 });
    hold();
    const all = await Promise.all([search, ...queued]);
    for (const r of all) expect(r.features.embedding.length).toBeGreaterThan(0);
  });
});
