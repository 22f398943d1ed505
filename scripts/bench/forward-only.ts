/**
 * The cold benches' baseline (bench:rerank, cold-timeline): the forward passes a rerank of these
 * candidates cannot avoid — EfficientNet on the photos (batched), NanoDet on each, bge on the query
 * and the texts — on photos decoded and preprocessed beforehand (not timed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage, preprocessImage } from '../../src/features/media/image.js';
import type { Models } from '../../src/models/index.js';
import type { Doc } from './candidates.js';

/** `run(query, docs, beforeTimed?)` → the forward passes' wall time in ms; `beforeTimed` runs once the inputs are ready. */
export async function forwardOnly(models: Models, data: string): Promise<(query: string, docs: Doc[], beforeTimed?: () => void) => Promise<number>> {
  const [cls, det, bge] = await Promise.all([models.imageClassifier(), models.objectDetector(), models.textEmbedder()]);
  return async (query, docs, beforeTimed) => {
    const imgs = await Promise.all(
      docs.filter((d) => d.image).map(async (d) => {
        const img = await decodeImage(readFileSync(join(data, d.image!)));
        return Promise.all([preprocessImage(img, cls.preprocess), preprocessImage(img, det.preprocess)]);
      }),
    );
    beforeTimed?.();
    const t = performance.now();
    await Promise.all([
      imgs.length ? cls.embed(imgs.map((x) => x[0])) : undefined,
      ...imgs.map((x) => det.detect(x[1])),
      bge.embed([query], { kind: 'query' }),
      bge.embed(docs.filter((d) => d.text).map((d) => d.text!), { kind: 'passage' }),
    ]);
    return performance.now() - t;
  };
}
