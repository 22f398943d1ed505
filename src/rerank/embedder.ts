/**
 * Query and document vectors for kNN first stages (search by image, bridge kNN) and for ingest:
 * the very vectors the reranker's signals compare, made through its feature ports, so a vector
 * stored at ingest and one computed at query time agree. Used by search, ingest and the CLI.
 */
import type { Reranker } from './reranker.js';
import type { VisualFeatures } from './ports.js';
import { normalize, weightedMean } from './vector.js';

/** Query/document vectors for kNN first stages and for ingest. */
export interface Embedder {
  /** Visual embedding of an image, or the mean of a video's sampled frames (L2-normalised). */
  visual(source: string, kind: 'image' | 'video', signal?: AbortSignal): Promise<Float32Array>;
  /** Text-space (bridge) vector of an image/video, comparable with `queryText` vectors. */
  bridge(source: string, kind: 'image' | 'video', signal?: AbortSignal): Promise<Float32Array>;
  /** Both vectors of one image/video from one feature pass (ingest). */
  mediaVectors(source: string, kind: 'image' | 'video', want: { visual: boolean; bridge: boolean }, signal?: AbortSignal): Promise<{ visual?: Float32Array; bridge?: Float32Array }>;
  /** Text embedding of a query (with the text model's query prefix). */
  queryText(text: string, signal?: AbortSignal): Promise<Float32Array>;
}

const mean = (vs: Float32Array[]) => normalize(weightedMean(vs));

export class RerankerEmbedder implements Embedder {
  constructor(
    private readonly reranker: Reranker,
    private readonly video: { fps: number; maxFrames: number } = { fps: 1, maxFrames: 16 },
  ) {}

  private async frames(source: string, kind: 'image' | 'video', detect: boolean, signal?: AbortSignal): Promise<VisualFeatures[]> {
    const ports = await this.reranker.ports();
    if (kind === 'image') return [(await ports.media.image(source, { detect, ocr: false, signal })).features];
    const r = await ports.media.video(source, { detect, ocr: false, signal, ...this.video });
    return r.frames;
  }

  async visual(source: string, kind: 'image' | 'video', signal?: AbortSignal): Promise<Float32Array> {
    const f = await this.frames(source, kind, false, signal);
    return f.length === 1 ? f[0]!.embedding : mean(f.map((x) => x.embedding));
  }

  async bridge(source: string, kind: 'image' | 'video', signal?: AbortSignal): Promise<Float32Array> {
    const f = await this.frames(source, kind, true, signal);
    const vs: Float32Array[] = [];
    for (const x of f) vs.push((await this.reranker.visualTextVector(x)).vector);
    return vs.length === 1 ? vs[0]! : mean(vs);
  }

  async mediaVectors(source: string, kind: 'image' | 'video', want: { visual: boolean; bridge: boolean }, signal?: AbortSignal): Promise<{ visual?: Float32Array; bridge?: Float32Array }> {
    const f = await this.frames(source, kind, want.bridge, signal);
    const out: { visual?: Float32Array; bridge?: Float32Array } = {};
    if (want.visual) out.visual = f.length === 1 ? f[0]!.embedding : mean(f.map((x) => x.embedding));
    if (want.bridge) {
      const vs: Float32Array[] = [];
      for (const x of f) vs.push((await this.reranker.visualTextVector(x)).vector);
      out.bridge = vs.length === 1 ? vs[0]! : mean(vs);
    }
    return out;
  }

  async queryText(text: string, signal?: AbortSignal): Promise<Float32Array> {
    const ports = await this.reranker.ports();
    const [v] = ports.text.embedEach ? [await ports.text.embedEach([text], 'query', [signal])[0]!] : await ports.text.embed([text], 'query');
    return v!;
  }
}
