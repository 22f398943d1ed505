/**
 * The CLIP signal's plumbing with the random-weight CLIP fixture: a ranking request with the fixture
 * as the dual encoder is refused (VLR_MODEL_NOT_ALLOWED); with the refusal lifted by hand for this
 * plumbing check only, the `clip` signal is computed from the fixture's own vectors (exp(logit_scale)
 * · cosine, as ClipEncoder.logit) — its value carries no meaning and nothing about order is asserted.
 */
import { afterAll, expect, it } from 'vitest';
import { Reranker } from '../../src/rerank/reranker.js';
import { clipPort, localPorts } from '../../src/rerank/backends/local.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { configSchema } from '../../src/config/schema.js';
import { sharedModels } from '../helpers/models.js';
import { DATA } from '../helpers/paths.js';

const models = await sharedModels();
const cfg = configSchema.parse({ media: { roots: [DATA] } });
const features = await FeatureExtractor.create(models, { media: cfg.media, cacheMaxBytes: 64 << 20, ocrId: null });
afterAll(async () => {
  await features.close();
  await models.close();
});
const img = 'skimage-clip-smoke/images/chelsea.png';

it('Models refuses the fixture for ranking unless asked for plumbing', async () => {
  await expect(clipPort(models, features, 'clip-architecture-fixture')).rejects.toMatchObject({ code: 'VLR_MODEL_NOT_ALLOWED' });
});

it('the Reranker refuses to rank with a fixture dual encoder', { timeout: 120_000 }, async () => {
  const clip = await clipPort(models, features, 'clip-architecture-fixture', { allowFixture: true });
  expect(clip.forRanking).toBe(false);
  const r = new Reranker({ ports: async () => ({ ...(await localPorts({ models, features })), clip }) });
  await expect(r.process({ query: 'a cat', documents: [{ image: img }] })).rejects.toMatchObject({ code: 'VLR_MODEL_NOT_ALLOWED' });
});

it('plumbing: the clip signal is exp(logit_scale)·cos of the fixture vectors', { timeout: 120_000 }, async () => {
  const fixture = await clipPort(models, features, 'clip-architecture-fixture', { allowFixture: true });
  const plumbing = { ...fixture, forRanking: true }; // for this I/O check only, never for ranking
  const r = new Reranker({ ports: async () => ({ ...(await localPorts({ models, features })), clip: plumbing }), weights: { text_image: 0 } });
  const out = await r.process({ query: 'a cat', documents: [{ image: img }], explain: true });
  const s = out[0]!.explanation!.signals.find((x) => x.name === 'clip')!;
  const [t] = await fixture.embedTexts(['a cat']);
  const [v] = await fixture.embedImages([img]);
  let cos = 0;
  for (let i = 0; i < t!.length; i++) cos += t![i]! * v![i]!;
  expect(s.raw).toBeCloseTo(fixture.logitScale * cos, 4);
  expect(s.compared).toBe('query.text↔document.image');
});
