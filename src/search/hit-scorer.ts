/**
 * How the search flow scores the hits of its window: the narrow `Scorer` port it calls within the
 * pipeline's budget (so search/ depends on no reranker internals, and a test can hand the server a
 * fault fake in its place), and `RerankerScorer`, the adapter to `Reranker.process()`.
 */
import type { HitDocument } from '../pipelines/document.js';
import type { Reranker } from '../rerank/reranker.js';
import type { ProcessOptions } from '../rerank/options.js';
import type { ChunkingSettings } from '../rerank/chunking.js';
import type { FramePooling } from '../rerank/signals/frame-pooling.js';
import type { ScoreFusion } from '../rerank/fusion.js';
import type { RerankQuery } from './detect.js';

export interface ScoreRequest {
  query: RerankQuery;
  documents: HitDocument[];
  instruction?: string;
  explain: boolean;
  weights?: Record<string, number>;
  backend?: 'local' | 'remote';
  fps?: number;
  max_frames?: number;
  /** The pipeline's chunking of long texts (undefined: the reranker's). */
  chunking?: ChunkingSettings | false;
  /** The pipeline's video frame pooling (undefined: the reranker's). */
  framePooling?: FramePooling;
  /** The pipeline's name: its searches are one kind of work for admission's service times. */
  pipeline?: string;
  /** The pipeline's fusion of the signals, calibrated or raw (undefined: the reranker's). */
  scoreFusion?: ScoreFusion;
  /** Aborted when the rerank budget runs out or the client goes away. */
  signal: AbortSignal;
  /** When the budget runs out (performance.now() clock): work that cannot start before it is shed at once. */
  deadline?: number;
  /** Who asks, for the per-client share of the rerank queue. */
  client?: string;
  /** Each document's feature record as kept in the index (unpacked JSON; undefined: none), input order. */
  records?: unknown[];
  /** `standIns[i]`: document i is `standIn()`'s stand-in for its record (its fields out of `_source`). */
  standIns?: boolean[];
  /** Told as each stage of the rerank ends (`ProcessOptions.onStage`): where its time went, for the response and the access line. */
  onStage?: ProcessOptions['onStage'];
}

/** What `standIn` is told of the search: the query and the pipeline's settings records are read with. */
export interface StandInRequest {
  query: RerankQuery;
  chunking?: ChunkingSettings | false;
  fps?: number;
  max_frames?: number;
  backend?: 'local' | 'remote';
  /** The pipeline's signal weights (OCR is read where `ocr_text` counts). */
  weights?: Record<string, number>;
}

/** Scores in input order, and what the caller is told of its query though it was scored (a query photo far below the models' input). */
export type ScoredDocuments = ScoredDocument[] & { warnings?: string[] };

export interface ScoredDocument {
  /** Calibrated relevance in [0, 1]. */
  score: number;
  /** The scorer's explanation (signals, raw/calibrated values), when `explain`. */
  explanation?: unknown;
  /** This document's image or video could not be read; it was scored on what was left. */
  error?: { code: string; reason: string };
}

export interface Scorer {
  /** Scores in input order. */
  score(req: ScoreRequest): Promise<ScoredDocuments>;
  /**
   * Resolves once the scorer's models are warm (at once when no warm-up is under way); true when
   * it had to wait. The search calls it before starting the budget clock. `signal` ends the wait.
   */
  ready?(signal?: AbortSignal, client?: string): Promise<boolean>;
  /**
   * The refusal admission control would give a rerank of this pipeline from `client` now (its
   * queue or the client's share full, the estimated wait too long), whatever its size; undefined
   * when it might be admitted. Asked before the first stage, so a search that cannot be reranked
   * asks the engine only for the hits it answers with (issue 13: fail-open "at once").
   */
  refusal?(client?: string, pipeline?: string): Error | undefined;
  /**
   * A document standing in for a hit whose pipeline fields the index keeps out of `_source`, made
   * from its feature record alone (scored with no model run for it), or why the record cannot.
   * Without it such hits are not scored.
   */
  standIn?(record: unknown, req: StandInRequest): Promise<{ document: HitDocument } | { reason: string }>;
  /** Does a hit's photo or clip load (its features made and kept for the scoring)? Which of its several is scored (`chooseMedia`); without it, the first. */
  mediaLoads?(ref: string, kind: 'image' | 'video', req: Pick<StandInRequest, 'fps' | 'max_frames'>, signal?: AbortSignal): Promise<boolean>;
}

/** A pipeline's searches as one kind of work for admission's service times. */
const searchKind = (pipeline?: string) => `search:${pipeline ?? ''}`;

export class RerankerScorer implements Scorer {
  constructor(private readonly reranker: Reranker) {}

  /** Waits holding a place in the rerank queue (one request's worth): VLR_OVERLOADED beyond its bounds. */
  ready(signal?: AbortSignal, client?: string): Promise<boolean> {
    return this.reranker.waitWarm({ cost: 1, client, signal });
  }

  refusal(client?: string, pipeline?: string): Error | undefined {
    return this.reranker.admission.refuseEarly(client, searchKind(pipeline));
  }

  standIn(record: unknown, req: StandInRequest): Promise<{ document: HitDocument } | { reason: string }> {
    return this.reranker.recordStandIn(record, { query: req.query, chunking: req.chunking, fps: req.fps, maxFrames: req.max_frames, backend: req.backend, weights: req.weights });
  }

  mediaLoads(ref: string, kind: 'image' | 'video', req: Pick<StandInRequest, 'fps' | 'max_frames'>, signal?: AbortSignal): Promise<boolean> {
    return this.reranker.mediaLoads(ref, kind, { fps: req.fps, maxFrames: req.max_frames }, signal);
  }

  async score(req: ScoreRequest): Promise<ScoredDocuments> {
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
      { signal: req.signal, deadline: req.deadline, client: req.client, kind: searchKind(req.pipeline), records: req.records, ...(req.standIns ? { recordStandIns: req.standIns } : {}), recordOrigin: 'index', chunking: req.chunking, framePooling: req.framePooling, scoreFusion: req.scoreFusion, ...(req.onStage ? { onStage: req.onStage } : {}) },
    );
    const explanations = new Map(out.map((r) => [r.index, r.explanation]));
    const errors = new Map(out.errors.map((e) => [e.index, { code: e.code, reason: e.reason }]));
    const scored = out.scores.map((score, i) => ({ score, explanation: req.explain ? explanations.get(i) : undefined, ...(errors.has(i) ? { error: errors.get(i) } : {}) }));
    return out.warnings?.length ? Object.assign(scored, { warnings: out.warnings }) : scored;
  }
}
