/**
 * The adapter from the search flow's narrow `Scorer` / `Embedder` interfaces to the reranker
 * (`Reranker.process()`, its model ports and its bridge-vector helper), so that kNN vectors made
 * at ingest and at query time are the very vectors the reranker's signals compare.
 */
import type { Reranker } from '../rerank/reranker.js';
import type { VisualFeatures } from '../rerank/ports.js';
import type { Embedder, ScoreRequest, ScoredDocument, Scorer } from './scorer.js';

function l2normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

function mean(vectors: Float32Array[]): Float32Array {
  const out = new Float32Array(vectors[0]!.length);
  for (const v of vectors) for (let i = 0; i < v.length; i++) out[i]! += v[i]!;
  return l2normalize(out);
}

export class RerankerScorer implements Scorer {
  constructor(private readonly reranker: Reranker) {}

  ready(signal?: AbortSignal): Promise<boolean> {
    return this.reranker.warm.wait(signal);
  }

  async score(req: ScoreRequest): Promise<ScoredDocument[]> {
    const out = await this.reranker.process(
      {
        query: req.query,
        documents: req.documents,
        instruction: req.instruction,
        explain: req.explain,
        weights: req.weights,
        backend: req.backend,
        fps: req.fps,
        max_frames: req.max_frames,
      },
      { signal: req.signal },
    );
    const explanations = new Map(out.map((r) => [r.index, r.explanation]));
    const errors = new Map(out.errors.map((e) => [e.index, { code: e.code, reason: e.reason }]));
    return out.scores.map((score, i) => ({ score, explanation: req.explain ? explanations.get(i) : undefined, ...(errors.has(i) ? { error: errors.get(i) } : {}) }));
  }
}

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
