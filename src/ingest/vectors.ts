/**
 * Add a pipeline's vectors to one document before it is indexed: the visual embedding and the
 * text-space (bridge) vector of the first image (or video) field value, at the pipeline's vector
 * fields. A document whose media cannot be read is indexed without vectors and the reason is
 * returned for the caller to report — never dropped. Vectors already present are kept; vectors a
 * feature record the document carries holds for its media are taken from it (no model runs).
 */
import { toVlrerankError } from '../errors.js';
import { unpackRecord } from '../features/record/index.js';
import type { Pipeline } from '../pipelines/index.js';
import { documentFromSource, setPath, valuesAt, videoSampling } from '../pipelines/document.js';
import type { Embedder } from '../rerank/embedder.js';
import { ingestDocument } from './media-choice.js';

export interface VectorOutcome {
  /** Vector fields written. */
  added: string[];
  error?: { type: string; reason: string; vlrerank_code: string };
}

/** Round to 6 decimals: keeps JSON small without changing cosine beyond 1e-6. */
const toJson = (v: Float32Array) => Array.from(v, (x) => Math.round(x * 1e6) / 1e6);

/** Would `addVectors` compute vectors for this document (it has media and lacks a vector)? `read`: the document as the pipeline reads it (`withFieldSources`). */
export function wantsVectors(doc: Record<string, unknown>, pipeline: Pipeline, read: Record<string, unknown> = doc): boolean {
  const v = pipeline.vectors;
  const lacking = (v.image !== undefined && valuesAt(doc, v.image.field).length === 0) || (v.bridge !== undefined && valuesAt(doc, v.bridge.field).length === 0);
  const media = lacking ? documentFromSource(read, { ...pipeline, fields: { ...pipeline.fields, text: [] } } as Pipeline) : undefined;
  return !!(media?.image ?? media?.video);
}

/** Mutates `doc`; its media are read from `read`, the document as the pipeline reads it (`withFieldSources`: an alias, a multi-field, a `copy_to` target). */
export async function addVectors(doc: Record<string, unknown>, pipeline: Pipeline, embedder: Pick<Embedder, 'mediaVectors' | 'mediaLoads'> | undefined, signal?: AbortSignal, read: Record<string, unknown> = doc): Promise<VectorOutcome> {
  const v = pipeline.vectors;
  const wantVisual = v.image !== undefined && valuesAt(doc, v.image.field).length === 0;
  const wantBridge = v.bridge !== undefined && valuesAt(doc, v.bridge.field).length === 0;
  if (!wantVisual && !wantBridge) return { added: [] };
  // a record the document carries (a copy out of Elasticsearch 9.2 keeps vectors out of `_source`,
  // not the record): its features serve when the running configuration made them from this media
  const record = pipeline.features.store === 'index' ? unpackRecord(doc[pipeline.features.field]) : undefined;
  const media = await ingestDocument(read, { ...pipeline, fields: { ...pipeline.fields, text: [] } } as Pipeline, embedder, signal, record);
  const source = media?.image ?? media?.video;
  if (!source) return { added: [] };
  try {
    if (!embedder) throw Object.assign(new Error('no embedder: the models are not available'), { code: 'VLR_MODEL_MISSING' });
    // a video sampled as the pipeline's records and reranking sample it: its carried record serves, and one feature pass does both (fix19b)
    const out = await embedder.mediaVectors(source, media?.image ? 'image' : 'video', { visual: wantVisual, bridge: wantBridge, sampling: videoSampling(pipeline), ...(record !== undefined ? { record } : {}) }, signal);
    const added: string[] = [];
    if (wantVisual && out.visual) {
      setPath(doc, v.image!.field, toJson(out.visual));
      added.push(v.image!.field);
    }
    if (wantBridge && out.bridge) {
      setPath(doc, v.bridge!.field, toJson(out.bridge));
      added.push(v.bridge!.field);
    }
    return { added };
  } catch (e) {
    const err = toVlrerankError(e);
    const reason = err.code === 'VLR_INTERNAL' ? (e as Error)?.message ?? 'internal error' : err.message;
    return { added: [], error: { type: err.type, reason: `vectors not added: ${reason}`, vlrerank_code: err.code } };
  }
}
