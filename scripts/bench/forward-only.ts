/**
 * The cold benches' baseline (bench:rerank, cold-timeline): the forward passes a rerank of these
 * candidates cannot avoid, on photos decoded and preprocessed beforehand (not timed) — EfficientNet
 * on the photos (batched), NanoDet on each, and bge on the query, the texts and **each photo's
 * visual passage** (the detected objects and top labels as one text, which the product embeds for
 * every new photo: one bge run per photo, alone, as `runAlone` makes the product run it). Until
 * branch cold4 the visual passages were left out (≈ 10 % of a cold request's forward passes at
 * n = 50), so the cold ratios of earlier runs are not comparable with later ones.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage, preprocessImage } from '../../src/features/media/image.js';
import type { Models } from '../../src/models/index.js';
import { VISUAL_PASSAGE_DETECT_THRESHOLD } from '../../src/rerank/backends/local.js';
import { visualPassage } from '../../src/rerank/signals/visual-passage.js';
import type { Doc } from './candidates.js';

/**
 * `run(query, docs, beforeTimed?)` → the forward passes' wall time in ms; `beforeTimed` runs once the inputs are ready.
 * `visualPassages: false` gives the baseline as it was before cold4 (no bge run for the photos), for a same-run comparison.
 */
export async function forwardOnly(models: Models, data: string, opts: { visualPassages?: boolean } = {}): Promise<(query: string, docs: Doc[], beforeTimed?: () => void) => Promise<number>> {
  const [cls, det, bge] = await Promise.all([models.imageClassifier(), models.objectDetector(), models.textEmbedder()]);
  const classNames = [...cls.classNames];
  return async (query, docs, beforeTimed) => {
    const imgs = await Promise.all(
      docs.filter((d) => d.image).map(async (d) => {
        const img = await decodeImage(readFileSync(join(data, d.image!)));
        return Promise.all([preprocessImage(img, cls.preprocess), preprocessImage(img, det.preprocess)]);
      }),
    );
    beforeTimed?.();
    const t = performance.now();
    // a visual passage's text exists only once its photo's two image models have answered (as in
    // the product); the same text twice in one request is embedded once (the product's text-vector
    // single-flight does the same)
    const passages = new Map<string, Promise<unknown>>();
    const visual = imgs.map(async ([c, d]) => {
      const [[f], dets] = await Promise.all([cls.embed([c]), det.detect(d, d.original, { scoreThreshold: VISUAL_PASSAGE_DETECT_THRESHOLD })]);
      if (opts.visualPassages === false) return;
      const text = visualPassage(dets, f!.logits, classNames);
      if (!passages.has(text)) passages.set(text, bge.embed([text], { kind: 'passage' }));
      await passages.get(text);
    });
    await Promise.all([
      ...visual,
      bge.embed([query], { kind: 'query' }),
      bge.embed(docs.filter((d) => d.text).map((d) => d.text!), { kind: 'passage' }),
    ]);
    return performance.now() - t;
  };
}
