/**
 * Stage 5, calibrate and fuse: each document's signals from its prepared side against the query's
 * (pair-score.ts: raw values → calibrated probabilities → weighted fusion), a document's video
 * side fused in with its image side, the explanation when asked, then the order (best first, ties
 * by input position) cut to top_n. Pure: no I/O, no models.
 */
import type { Calibrator } from '../calibration.js';
import { fuse } from '../fusion.js';
import { scorePair, type PairScore, type PreparedSide } from '../pair-score.js';
import { modalitiesOf, type Explanation, type NormalizedDocument, type RerankResult } from '../types.js';
import { mediaError } from './media.js';
import type { RemoteOutcome } from './remote.js';
import type { RequestPlan } from './request.js';
import type { DocumentPrep } from './sides.js';

export interface FuseSettings {
  calibrator: Calibrator;
  passageMix: number;
}

export function scoreDocuments(p: RequestPlan, query: PreparedSide, preps: DocumentPrep[], remote: RemoteOutcome, queryCacheHits: number, s: FuseSettings): RerankResult[] {
  const { req } = p;
  const settings = { calibrator: s.calibrator, weights: p.weights, passageMix: s.passageMix, clipLogitScale: p.clip?.logitScale, chunkAggregate: p.chunking?.aggregate, framePooling: p.framePooling, scoreFusion: p.scoreFusion, details: req.explain };
  const qMods = modalitiesOf(req.query);
  const instructionUsed = usedInstruction(p, remote);
  return req.documents.map((d, i) => {
    const prep = preps[i]!;
    let pair = scorePair(query, prep.side, settings, remote.scores?.[i]);
    if (prep.videoSide) {
      const v = scorePair({ ...query }, prep.videoSide, settings);
      pair = { score: fuse([...pair.signals, ...v.signals], p.scoreFusion), signals: [...pair.signals, ...v.signals], bestFrame: v.bestFrame ?? pair.bestFrame };
      pair.score = Math.round(pair.score * 1e6) / 1e6;
    }
    const result: RerankResult = { index: i, score: pair.score, document: req.original[i]! };
    if (req.explain) result.explanation = explain(p, d, prep, pair, qMods, queryCacheHits, remote, instructionUsed);
    return result;
  });
}

/** Best first (ties: input order), cut to top_n. */
export function rank(results: RerankResult[], topN: number | undefined): RerankResult[] {
  const sorted = [...results].sort((a, b) => b.score - a.score || a.index - b.index);
  return topN !== undefined ? sorted.slice(0, topN) : sorted;
}

/** Only the remote backend takes an instruction: used when its scores arrived and the worker confirmed it. */
export function usedInstruction(p: RequestPlan, remote: RemoteOutcome): boolean {
  return remote.scores !== undefined && p.req.instruction !== undefined && remote.instructionUsed === true;
}

const ms = (x: number) => Math.round(x * 100) / 100;

function explain(
  p: RequestPlan,
  d: NormalizedDocument,
  prep: DocumentPrep,
  pair: PairScore,
  qMods: ReturnType<typeof modalitiesOf>,
  qCacheHits: number,
  remote: RemoteOutcome,
  instructionUsed: boolean,
): Explanation {
  const e: Explanation = {
    modalities: { query: qMods, document: modalitiesOf(d) },
    signals: pair.signals,
    cache: { hits: prep.cacheHits + qCacheHits, misses: prep.cacheMisses },
    features: prep.sources,
    timings_ms: { features: ms(prep.featuresMs) },
  };
  if (pair.bestFrame) e.best_frame = pair.bestFrame;
  if (prep.error) e.error = mediaError(prep.error);
  if (prep.truncated.length) e.truncated = prep.truncated;
  if (p.req.instruction !== undefined) {
    e.instruction = instructionUsed ? { used: true, by: ['remote'] } : remote.scores !== undefined
        ? { used: false, note: 'sent to the remote worker, which did not confirm using it' }
        : { used: false, note: 'no signal of this request takes an instruction' };
  }
  if (remote.error) {
    const s = pair.signals;
    s.push({ name: 'remote', compared: 'query↔document (remote scorer)', raw: NaN, calibrated: NaN, weight: 0, detail: { error: remote.error.message } });
  }
  if (remote.info) {
    const r = pair.signals.find((x) => x.name === 'remote');
    if (r) r.detail = { ...(r.detail ?? {}), worker: remote.info.worker, ...(remote.info.model ? { model: remote.info.model } : {}) };
  }
  return e;
}
