/**
 * ImageNet top-1 of real photos through the whole image path (sharp decode + the manifest's
 * preprocessing + EfficientNet) is sensible: the skimage coffee cup is espresso/cup, the cat is a
 * cat, and Caltech-101 photos of classes ImageNet also has are mostly named right (≥ 4 of 5).
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessImage } from '../../src/features/media/image.js';
import type { ImageClassifier, Models } from '../../src/models/index.js';
import { DATA } from '../helpers/paths.js';
import { sharedModels } from '../helpers/models.js';

let models: Models;
let ic: ImageClassifier;
beforeAll(async () => {
  models = await sharedModels();
  ic = await models.imageClassifier();
});
afterAll(() => models.close());

async function top1(path: string): Promise<{ label: string; prob: number }> {
  const [f] = await ic.embed([await preprocessImage(await readFile(path), ic.preprocess)]);
  return ic.topK(f!.logits, 1)[0]!;
}

describe('ImageNet top-1 on real photos', () => {
  it('skimage coffee → espresso or cup; chelsea → a cat class', async () => {
    const coffee = await top1(join(DATA, 'skimage-clip-smoke/images/coffee.png'));
    expect(coffee.label).toMatch(/^(espresso|cup|coffee mug)/);
    expect(coffee.prob).toBeGreaterThan(0.5);
    expect((await top1(join(DATA, 'skimage-clip-smoke/images/chelsea.png'))).label).toMatch(/cat|tabby/);
  });

  const CLASSES: Record<string, RegExp> = {
    accordion: /^accordion/,
    laptop: /^(laptop|notebook)/,
    grand_piano: /^grand piano/,
    dalmatian: /^dalmatian/,
    revolver: /^revolver/,
    panda: /^giant panda/,
  };
  for (const [dir, re] of Object.entries(CLASSES)) {
    it(`caltech101-mini ${dir}: at least 4 of 5 photos named ${re}`, async () => {
      const folder = join(DATA, 'caltech101-mini/images', dir);
      const files = (await readdir(folder)).sort().slice(0, 5);
      let hits = 0;
      for (const f of files) if (re.test((await top1(join(folder, f))).label)) hits++;
      expect(hits).toBeGreaterThanOrEqual(4);
    });
  }
});
