/**
 * The model-alone ceiling of a backfill, measured in the same run (issue 12 §3): the first page's
 * documents, read and decoded beforehand (untimed), then only the forward passes a record costs —
 * EfficientNet on every image and sampled frame, NanoDet on each, bge on the document texts (passage
 * and query side) and on the visual passages the records hold — timed back to back, the best of
 * two rounds. Documents per second through those passages alone is what backfill could reach if
 * reading, decoding, packing and writing cost nothing; `backfill` prints its throughput against it.
 * Measures only: never writes, never caches.
 */
import { DEFAULT_MODELS, type Models, type PreprocessedImage } from '../models/index.js';
import type { MediaSource } from '../features/media/source.js';
import { decodeImage, dropDecoded, preprocessImage, type DecodedImage } from '../features/media/image.js';
import type { VideoDecoder } from '../features/media/video.js';
import type { FeatureRecord } from '../features/record/index.js';
import type { RecordDocument } from '../rerank/records/build.js';

export interface Ceiling {
  documents: number;
  images: number;
  texts: number;
  seconds: number;
  docsPerSecond: number;
}

export async function modelAloneCeiling(
  models: Models,
  media: { source: MediaSource; video: VideoDecoder; fps: number; maxFrames: number },
  docs: RecordDocument[],
  records: FeatureRecord[],
  opts: { queryVectors: boolean; rounds?: number },
): Promise<Ceiling> {
  const [classifier, detector, text] = await Promise.all([models.imageClassifier(), models.objectDetector(), models.textEmbedder(DEFAULT_MODELS.textEmbedder)]);
  // untimed: every image and frame read, decoded and preprocessed for both image models (photos in
  // the image worker, as the backfill itself decodes them: their pixels never reach this heap, perf22)
  const decoded: DecodedImage[] = [];
  for (const d of docs) {
    try {
      if (d.image !== undefined) decoded.push(await decodeImage((await media.source.resolve(d.image)).bytes, undefined, { held: true }));
      if (d.video !== undefined) {
        const path = await media.source.localPath(d.video);
        decoded.push(...(await media.video.sampleFrames({ path }, { fps: d.fps ?? media.fps, maxFrames: d.max_frames ?? media.maxFrames })).frames);
      }
    } catch {
      /* unreadable media cost backfill no model time either */
    }
  }
  const forClassifier: PreprocessedImage[] = await Promise.all(decoded.map((img) => preprocessImage(img, classifier.preprocess)));
  const forDetector: PreprocessedImage[] = await Promise.all(decoded.map((img) => preprocessImage(img, detector.preprocess)));
  decoded.forEach(dropDecoded);
  const passages: string[] = [];
  const queries: string[] = [];
  docs.forEach((d, i) => {
    if (d.text !== undefined) {
      passages.push(d.text);
      if (opts.queryVectors) queries.push(d.text);
    }
    const r = records[i];
    if (r?.image) passages.push(r.image.pt, ...(r.image.ocr?.v ? [r.image.ocr.t] : []));
    for (const f of r?.video?.f ?? []) passages.push(f.pt);
  });
  let best = Infinity;
  for (let round = 0; round < (opts.rounds ?? 2); round++) {
    const t0 = performance.now();
    if (forClassifier.length) await classifier.embed(forClassifier);
    if (forDetector.length) await Promise.all(forDetector.map((p) => detector.detect(p)));
    if (passages.length) await text.embed(passages, { kind: 'passage' });
    if (queries.length) await text.embed(queries, { kind: 'query' });
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return { documents: docs.length, images: decoded.length, texts: passages.length + queries.length, seconds: best, docsPerSecond: docs.length / Math.max(best, 1e-9) };
}
