/**
 * The CLIP code path (tokenizer, 77-token truncation keeping <|endoftext|>, standard HF ONNX I/O
 * names, EOS pooling done by the graph, batching/padding, logit scale) against the random-weight
 * fixture's PyTorch reference: token ids exact, embeddings within 1e-4 given the reference tensors,
 * sharp preprocessing within cosine 0.999. The fixture itself is refused for ranking.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessImage } from '../../src/features/media/image.js';
import type { ClipEncoder, Models } from '../../src/models/index.js';
import { DATA } from '../helpers/paths.js';
import { cosine, maxAbsDiff, reference, sharedModels, synthetic } from '../helpers/models.js';

const ref = reference('clip-architecture-fixture');
let models: Models;
let clip: ClipEncoder;

beforeAll(async () => {
  models = await sharedModels();
  clip = await models.clip('clip-architecture-fixture', { allowFixture: true });
});
afterAll(() => models.close());

describe('clip-architecture-fixture golden values', () => {
  it('tokenises like the reference, truncating to 77 with <|endoftext|> last', () => {
    for (const t of ref.texts) {
      const e = clip.encode(t.text);
      expect(e.ids).toEqual(t.input_ids);
      expect(e.fullLength).toBe(t.n_ids_before_truncation);
    }
    const long = clip.encode(ref.texts[2].text);
    expect(long.ids).toHaveLength(77);
    expect(long.ids[76]).toBe(49407);
    // the trap the reference records: a plain cut loses the end token
    expect(long.ids).not.toEqual(ref.tokenizer_traps[0].input_ids);
  });

  it('text embeddings (padded batch of 3 and one at a time) within 1e-4', async () => {
    const texts = ref.texts.map((t: { text: string }) => t.text);
    const batch = await clip.embedTexts(texts, { raw: true });
    for (const [i, t] of ref.texts.entries()) {
      expect(batch[i]).toHaveLength(32);
      expect(maxAbsDiff(batch[i]!, t.text_embeds)).toBeLessThan(1e-4);
      const [one] = await clip.embedTexts([t.text]);
      expect(maxAbsDiff(one!, t.text_embeds_l2_normalised)).toBeLessThan(1e-4);
    }
  });

  it('synthetic image embedding within 1e-4', async () => {
    const [e] = await clip.embedImages([{ data: synthetic(224, 224), dims: [3, 224, 224], original: { width: 224, height: 224 } }], { raw: true });
    expect(maxAbsDiff(e!, ref.synthetic_image.image_embeds)).toBeLessThan(1e-4);
  });

  it('images via sharp preprocessing: same crop geometry, embeddings at cosine ≥ 0.999; logits = 100·cos within 0.5', async () => {
    const embeds: Float32Array[] = [];
    for (const im of ref.images) {
      const pre = await preprocessImage(await readFile(join(DATA, 'skimage-clip-smoke/images', im.file)), clip.preprocess);
      expect([pre.original.width, pre.original.height]).toEqual(im.original_size_wh);
      expect(maxAbsDiff(pre.data.slice(0, 8), im.pixel_values_first8)).toBeLessThan(0.1);
      const [e] = await clip.embedImages([pre]);
      expect(cosine(e!, im.image_embeds_l2_normalised)).toBeGreaterThan(0.999);
      embeds.push(e!);
    }
    const texts = await clip.embedTexts(ref.texts.map((t: { text: string }) => t.text));
    for (let i = 0; i < embeds.length; i++) {
      for (let j = 0; j < texts.length; j++) expect(Math.abs(clip.logit(embeds[i]!, texts[j]!) - ref.logits_per_image[i][j])).toBeLessThan(0.5);
    }
  });

  it('is refused for ranking', async () => {
    await expect(models.clip('clip-architecture-fixture')).rejects.toMatchObject({ code: 'VLR_MODEL_NOT_ALLOWED' });
    expect(() => models.assertRankable('clip-architecture-fixture')).toThrow(/fixture/);
  });
});
