/**
 * The adapter from the search flow's narrow `Scorer` interface to the reranker
 * (`Reranker.process()`). Query and document vectors come from rerank/embedder.ts.
 */
import type { Reranker } from '../rerank/reranker.js';
import type { ScoreRequest, ScoredDocument, Scorer } from './scorer.js';

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
