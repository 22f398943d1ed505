/**
 * One source line of a `_bulk` into an index whose pipeline ingests: parsed (in the JSON worker
 * from SMALL_BODY bytes), its vectors and feature record added, re-serialised — or left as
 * received (undefined) when nothing was added or it cannot be read. An `update` describes the
 * document it makes from what the body's earlier action on its id left (bulk-writes.ts) or, with
 * none, from the engine's stored one. Failures are recorded by item position.
 */
import type { PipelineRuns } from './engine-pipeline.js';
import type { PipelineRegistry } from '../pipelines/index.js';
import type { Embedder } from '../rerank/embedder.js';
import { addRecord, dropUnkeptRecord, isNoopUpdate, mergedForUpdate, touchesMedia, type RecordTarget } from './records.js';
import { addVectors, wantsVectors, type VectorOutcome } from './vectors.js';
import { leaves, type Claim } from './bulk-writes.js';
import { recordMissing, unreadNote, unreadValuesNote, vectorsUnknown, type WriteTarget } from './keeps-records.js';
import { jsonDepth } from '../util/json-depth.js';
import { withFieldSources } from '../pipelines/document.js';
import { hasDuplicateKeys } from '../util/json-duplicate-keys.js';
import { SMALL_BODY, type JsonWorker } from '../util/json-worker.js';
import { isEngineRefusal } from '../engine/auth-refusal.js';
import { engineText } from '../util/wire-text.js';
import { stringifyAsSent } from '../util/json-tokens.js';

export interface BulkTransformOptions {
  pathIndex?: string;
  registry: PipelineRegistry;
  embedder?: Pick<Embedder, 'mediaVectors' | 'records' | 'recordSignature'>;
  concurrency: number;
  signal?: AbortSignal;
  /** Does this index keep feature records (its mapping has the record field as setup made it), and their signatures; does it map the vectors? Without it: no records, vectors added. */
  targetOn?: (index: string) => Promise<WriteTarget>;
  /**
   * The stored `_source` of a document (an `_update`'s record describes the merged document), with the
   * `_version` it was read at (raced-updates.ts checks the update's answer against it); `routing`: the action's own.
   */
  stored?: (index: string, id: string, routing?: string) => Promise<{ source: Record<string, unknown>; version?: number } | undefined>;
  /** Time (ms) for adding vectors and records, from the body's start (pipelines.bulkBudgetMs); documents not done by then are deferred (`BulkReport.deferred`). 0 or none: no budget. */
  budgetMs?: number;
  /** Parses source lines of SMALL_BODY bytes and more off the main thread; without it, here. */
  jsonWorker?: Pick<JsonWorker, 'parse'>;
  /** The ingest pipeline of a name no pattern covers when it is an alias (asked once per name and body); without it, names only. */
  aliasFor?: (index: string) => Promise<NonNullable<ReturnType<PipelineRegistry['ingestFor']>> | undefined>;
  /** The request's `pipeline=`: the engine ingest pipeline of actions that name none (engine-pipeline.ts). */
  enginePipeline?: string;
  /** Documents as the engine's ingest pipelines they run leave them (the named or the index's default, then its final), asked in batches (engine-pipeline.ts); without it, documents are read as sent. */
  pipelined?: PipelineRuns;
  /** Did the engine refuse writes to this index (the action's name) to these credentials lately (refused-writes.ts)? Its documents are then sent as received. */
  refusedLately?: (index: string) => boolean;
}

export interface BulkReport {
  /** Item position → why its vectors are missing. */
  failures: Map<number, NonNullable<VectorOutcome['error']>>;
  /** Item position → a note that is no failure (`unreadNote`: a pipeline field the index does not map); a failure of the item is said instead. */
  notes?: Map<number, NonNullable<VectorOutcome['error']>>;
  /** Item position → documents of it that got vectors / a record: only items the engine stored are counted in the answer. */
  added: Map<number, { vectorized: number; recorded: number }>;
  /** Items not embedded within the body's time budget: sent as a line the engine refuses (`deferredLine`), answered as a 429 for the client to retry. */
  deferred?: Set<number>;
  /** Of `deferred`, the items deferred at once because an earlier try's work on them still runs (ingest/leads.ts), not because this body's budget ran out. */
  stillRunning?: Set<number>;
  /** Documents of ingest indices forwarded as received because the client had gone (`signal` aborted): no vectors, no records. */
  asReceived?: number;
  /**
   * Item position → its lines as the client sent them, for documents given vectors or a record by the
   * mapping of the index an alias or a data stream wrote to then (`judgedBy`): refused for them
   * because a rollover moved the write meanwhile, they are sent again as received (handle.ts).
   * Bounded by RESEND_MAX_BYTES per body.
   */
  resend?: Map<number, { action: string; source: Buffer; judgedBy: string; recordField: string }>;
  resendBytes?: number;
  /**
   * Item position → the `_id` its action named (items of ingest indices that name one): the engine's
   * answer item of each is found by it where the engine answers out of order (bulk-report.ts `slotOf`).
   */
  ids?: Map<number, string>;
  /** Item position → the index its action names, for items of ingest indices: the engine's refusals of them teach refused-writes.ts. */
  targets?: Map<number, string>;
  /** Items sent as received because the engine refused their index's writes lately (`refusedLately`): no vectors, no record. */
  refusedLately?: Set<number>;
  /** Item position → the `_version` an update's record was made from (the stored document as read) and the record's fields (raced-updates.ts). */
  readVersions?: Map<number, { version: number; fields: string[]; routing?: string }>;
}

/** Source bytes kept per body to send again documents a rollover made the engine refuse (past it: not kept). */
export const RESEND_MAX_BYTES = 32 * 1024 * 1024;

/** Deepest source line vectors are added to (server.maxJsonDepth's default). */
const MAX_LINE_DEPTH = 1000;

/**
 * A source line parsed: here when small, in the JSON worker from SMALL_BODY bytes. Undefined when
 * it stays as received: not JSON (the engine reports the bad line itself), or nested past the depth
 * limit (the engine refuses it; re-serialising it would recurse).
 */
async function parseSource(bytes: Buffer, o: BulkTransformOptions, item: number, report: BulkReport): Promise<unknown> {
  if (bytes.length >= SMALL_BODY && o.jsonWorker) {
    const r = await o.jsonWorker.parse(bytes, { coding: 'identity', maxBytes: bytes.length, maxDepth: MAX_LINE_DEPTH, always: true });
    if (r.ok) return r.parsed ? r.value : undefined;
    // the worker lost (the server is stopping): the document is indexed as sent, and the item says why
    if (r.kind === 'worker') report.failures.set(item, { type: 'json_worker_exception', reason: `vectors not added: ${r.message}`, vlrerank_code: 'VLR_INTERNAL' });
    return undefined;
  }
  const source = engineText(bytes); // a Python client's lone surrogate kept, as the engine keeps it (wire-text.ts)
  if (jsonDepth(source, MAX_LINE_DEPTH) > MAX_LINE_DEPTH) return undefined;
  try {
    return JSON.parse(source);
  } catch {
    return undefined;
  }
}

/**
 * The rewritten source line, or undefined when it stays as received. `claim`: this action's place
 * among the body's actions on its id (bulk-writes.ts) — an update reads the document an earlier
 * action of the body leaves, and every action settles what it leaves.
 */
export async function transformLine(bytes: Buffer, meta: { op: string; index?: string; id?: string; routing?: string; action?: string; pipeline?: string }, pipeline: NonNullable<ReturnType<PipelineRegistry['ingestFor']>>, o: BulkTransformOptions, item: number, report: BulkReport, claim: Claim, turn?: (simulated: boolean) => Promise<void>): Promise<string | undefined> {
  const op = meta.op;
  const doc = (await parseSource(bytes, o, item, report)) as Record<string, unknown> | undefined;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  // the document as stored before this update: the body's earlier action on the id, else the engine's
  const prior = claim.prior ? await claim.prior : undefined;
  let read: { stored?: Record<string, unknown>; version?: number } | undefined = prior ? { ...('doc' in prior ? { stored: prior.doc } : {}) } : undefined;
  const readStored = async () => {
    const got = await o.stored?.(meta.index!, meta.id!, meta.routing);
    return { stored: got?.source, version: got?.version };
  };
  const storedDoc = async () => (read ??= await readStored()).stored;
  const targets: Array<Record<string, unknown>> = [];
  if (op === 'update') {
    for (const k of ['doc', 'upsert']) {
      const t = doc[k];
      if (t && typeof t === 'object' && !Array.isArray(t)) targets.push(t as Record<string, unknown>);
    }
  } else targets.push(doc);
  // the engine's ingest pipelines it runs (named, or the index's default and final): vectors and record of what it stores (engine-pipeline.ts)
  // (asked in batches: bulk.ts reads ahead meanwhile; `turn`, once answered: a place among the documents embedded at once,
  // or, when no engine pipeline runs for it, no longer waiting)
  const runs = engineRun(op, o);
  const ran = runs ? await o.pipelined!.run(meta.pipeline ?? o.enginePipeline, meta.index, meta.id, doc) : undefined;
  if (runs) await turn?.(ran !== undefined);
  if (ran && ('dropped' in ran || 'failed' in ran)) targets.length = 0; // not stored: nothing to compute
  if (ran && 'unknown' in ran) (report.notes ??= new Map()).set(item, ran.unknown);
  const readOf = (t: Record<string, unknown>) => (ran && 'doc' in ran && t === doc ? ran.doc : t);
  let changed = false;
  let vectorized = 0;
  let recorded = 0;
  let judgedBy: string | undefined;
  for (const t of targets) {
    const partial = op === 'update' && t === doc.doc;
    let unknown: unknown;
    const on = meta.index ? await o.targetOn?.(meta.index).catch((e: unknown) => {
          o.signal?.throwIfAborted();
          unknown = e;
          return undefined;
        }) : undefined;
    // credentials the engine does not authenticate: the `_bulk` can only be its 401 — nothing computed for it
    if (isEngineRefusal(unknown) && unknown.status === 401) break;
    judgedBy ??= on?.judgedBy;
    const target: RecordTarget | undefined = on?.records;
    // read with the action's routing: without it a routed document on another shard is not found,
    // and the record described the partial `doc` alone (held-out probe round 4)
    const stored = partial && meta.id && (target || touchesMedia(t, pipeline)) ? await storedDoc() : undefined;
    if (partial && doc.detect_noop !== false && isNoopUpdate(stored, t)) continue; // the engine's `noop`, kept
    // vectors the index does not map would be mapped by guess: the document is stored as sent, the item says why
    const noVectors = on?.noVectors ?? (unknown !== undefined ? vectorsUnknown(unknown) : undefined);
    // an alias, a multi-field, a `copy_to` target read as the search reads them (fix20c)
    const asRead = withFieldSources(readOf(t), on?.sources);
    const r = noVectors ? { added: [], error: wantsVectors(t, pipeline, asRead) ? noVectors : undefined } : await addVectors(t, pipeline, o.embedder, o.signal, asRead);
    if (r.error) report.failures.set(item, r.error);
    if (r.added.length) {
      changed = true;
      vectorized++;
    }
    // an update's partial `doc` gets the record of the document it makes (stored ⊕ partial)
    const whole = partial && meta.id ? mergedForUpdate(stored, t) : readOf(t);
    const wholeAsRead = withFieldSources(whole, on?.sources);
    // the index's mapping unreadable (keeps-records.ts): stored without its record, the item says why
    const note = (meta.index ? unreadNote(wholeAsRead, pipeline, on, meta.index) : undefined) ?? unreadValuesNote(wholeAsRead, pipeline);
    if (note) (report.notes ??= new Map()).set(item, note);
    const missing = recordMissing(unknown, t, whole, pipeline);
    if (missing && !report.failures.has(item)) report.failures.set(item, missing);
    if (!target) {
      // a record the client carried over into an index that keeps none would land in _source
      const dropped = unknown === undefined && meta.index ? dropUnkeptRecord(t, pipeline, meta.index) : undefined;
      if (dropped) {
        changed = true;
        if (!report.failures.has(item)) report.failures.set(item, dropped);
      }
      continue;
    }
    const f = await addRecord(t, pipeline, o.embedder, o.signal, wholeAsRead, target);
    if (f.error && !report.failures.has(item)) report.failures.set(item, f.error);
    if (f.added) {
      changed = true;
      recorded++;
      // made from the engine's document at this version: the answer tells whether the update landed on it (raced-updates.ts)
      if (partial && read?.version !== undefined) (report.readVersions ??= new Map()).set(item, { version: read.version, fields: [pipeline.features.field, pipeline.features.keyField], routing: meta.routing });
    }
  }
  claim.settle(leaves(op, doc, read, pipeline), bytes.length);
  if (!changed) return undefined;
  // re-serialised, a repeated key would keep its last value where the engine refuses the line
  if (hasDuplicateKeys(bytes.toString('utf8'))) {
    report.failures.set(item, DUPLICATE_KEY);
    return undefined;
  }
  if (vectorized || recorded) report.added.set(item, { vectorized, recorded });
  if (judgedBy && meta.action !== undefined && (report.resendBytes ?? 0) + bytes.length <= RESEND_MAX_BYTES) {
    report.resendBytes = (report.resendBytes ?? 0) + bytes.length;
    (report.resend ??= new Map()).set(item, { action: meta.action, source: Buffer.from(bytes), judgedBy, recordField: pipeline.features.field }); // a copy: not the whole chunk kept
  }
  // what the client sent kept as sent (its longs past 2^53, `-0.0`, number spellings: util/json-tokens.ts)
  return stringifyAsSent(doc, engineText(bytes));
}

/** May a source line run through the engine's ingest pipelines before its vectors are computed (its index's settings say; `update`s are not)? */
export function engineRun(op: string, o: Pick<BulkTransformOptions, 'pipelined'>): boolean {
  return op !== 'update' && !!o.pipelined;
}

/** Why a document that repeats a key is sent as received, without vectors (the engine then refuses it with its own error). */
export const DUPLICATE_KEY = {
  type: 'illegal_argument_exception',
  reason: 'vectors not added: the document repeats a key, sent as received for the engine to judge',
  vlrerank_code: 'VLR_BAD_REQUEST',
} as const;
