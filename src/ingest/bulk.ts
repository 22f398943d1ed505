/**
 * `_bulk` as a stream: the body is split into lines as it arrives (over Buffers, never the whole
 * body), action lines are parsed, and the source of each index/create/update action that targets an
 * index whose pipeline ingests vectors gets them added; every other line is forwarded byte for byte
 * — as the very bytes received: a source line of an index without ingest is neither decoded nor
 * parsed, and runs of such lines leave as one slice of the chunk they came in. Order is kept while
 * up to `concurrency` documents are embedded at once. Failures are recorded by item position so the
 * caller can merge them into the engine's bulk response.
 *
 * Main-thread work stays bounded by the chunk, never by the body (issue 13 §2): a line that spans
 * chunks is kept as its pieces until its newline (never re-concatenated per chunk), a line left as
 * received is queued as those pieces, and a source line of SMALL_BODY bytes or more is decoded,
 * depth-checked and parsed in the JSON worker. An action line that large (no real one is: an `_id`
 * is at most 512 bytes) is not parsed: it and the rest of the body leave untouched, as after any
 * line we cannot read.
 */
import { Readable } from 'node:stream';
import { toVlrerankError } from '../errors.js';
import type { PipelineRegistry } from '../pipelines/index.js';
import type { Embedder } from '../rerank/embedder.js';
import { addRecord, isNoopUpdate, mergedForUpdate, touchesMedia, type RecordTarget } from './records.js';
import { addVectors, type VectorOutcome } from './vectors.js';
import { plainAction } from './bulk-action.js';
import { jsonDepth } from '../util/json-depth.js';
import { hasDuplicateKeys } from '../util/json-duplicate-keys.js';
import { SMALL_BODY, type JsonWorker } from '../util/json-worker.js';

export interface BulkTransformOptions {
  pathIndex?: string;
  registry: PipelineRegistry;
  embedder?: Pick<Embedder, 'mediaVectors' | 'records' | 'recordSignature'>;
  concurrency: number;
  signal?: AbortSignal;
  /** Does this index keep feature records (its mapping has the record field as setup made it), and their signatures? Without it: no records. */
  recordsOn?: (index: string) => Promise<RecordTarget | undefined>;
  /** The stored `_source` of a document (an `_update`'s record describes the merged document); `routing`: the action's own. */
  stored?: (index: string, id: string, routing?: string) => Promise<Record<string, unknown> | undefined>;
  /** Parses source lines of SMALL_BODY bytes and more off the main thread; without it, here. */
  jsonWorker?: Pick<JsonWorker, 'parse'>;
  /** The ingest pipeline of a name no pattern covers when it is an alias (asked once per name and body); without it, names only. */
  aliasFor?: (index: string) => Promise<NonNullable<ReturnType<PipelineRegistry['ingestFor']>> | undefined>;
}

export interface BulkReport {
  /** Item position → why its vectors are missing. */
  failures: Map<number, NonNullable<VectorOutcome['error']>>;
  /** Item position → documents of it that got vectors / a record: only items the engine stored are counted in the answer. */
  added: Map<number, { vectorized: number; recorded: number }>;
}

const ACTIONS = new Set(['index', 'create', 'update', 'delete']);
/** Output pieces ready together are joined into one write up to this many bytes. */
const JOIN_MAX = 1024 * 1024;
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
  const source = bytes.toString('utf8');
  if (jsonDepth(source, MAX_LINE_DEPTH) > MAX_LINE_DEPTH) return undefined;
  try {
    return JSON.parse(source);
  } catch {
    return undefined;
  }
}

/** The rewritten source line, or undefined when it stays as received. */
async function transformLine(bytes: Buffer, meta: { op: string; index?: string; id?: string; routing?: string }, pipeline: NonNullable<ReturnType<PipelineRegistry['ingestFor']>>, o: BulkTransformOptions, item: number, report: BulkReport): Promise<string | undefined> {
  const op = meta.op;
  const doc = (await parseSource(bytes, o, item, report)) as Record<string, unknown> | undefined;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const targets: Array<Record<string, unknown>> = [];
  if (op === 'update') {
    for (const k of ['doc', 'upsert']) {
      const t = doc[k];
      if (t && typeof t === 'object' && !Array.isArray(t)) targets.push(t as Record<string, unknown>);
    }
  } else targets.push(doc);
  let changed = false;
  let vectorized = 0;
  let recorded = 0;
  for (const t of targets) {
    const partial = op === 'update' && t === doc.doc;
    const target = pipeline.features.store === 'index' && meta.index ? await o.recordsOn?.(meta.index) : undefined;
    // read with the action's routing: without it a routed document on another shard is not found,
    // and the record described the partial `doc` alone (held-out probe round 4)
    const stored = partial && meta.id && (target || touchesMedia(t, pipeline)) ? await o.stored?.(meta.index!, meta.id, meta.routing) : undefined;
    if (partial && doc.detect_noop !== false && isNoopUpdate(stored, t)) continue; // the engine's `noop`, kept
    const r = await addVectors(t, pipeline, o.embedder, o.signal);
    if (r.error) report.failures.set(item, r.error);
    if (r.added.length) {
      changed = true;
      vectorized++;
    }
    if (!target) continue;
    // an update's partial `doc` gets the record of the document it makes (stored ⊕ partial)
    const whole = partial && meta.id ? mergedForUpdate(stored, t) : t;
    const f = await addRecord(t, pipeline, o.embedder, o.signal, whole!, target);
    if (f.error && !report.failures.has(item)) report.failures.set(item, f.error);
    if (f.added) {
      changed = true;
      recorded++;
    }
  }
  if (!changed) return undefined;
  // re-serialised, a repeated key would keep its last value where the engine refuses the line
  if (hasDuplicateKeys(bytes.toString('utf8'))) {
    report.failures.set(item, DUPLICATE_KEY);
    return undefined;
  }
  if (vectorized || recorded) report.added.set(item, { vectorized, recorded });
  return JSON.stringify(doc);
}

/** Why a document that repeats a key is sent as received, without vectors (the engine then refuses it with its own error). */
export const DUPLICATE_KEY = {
  type: 'illegal_argument_exception',
  reason: 'vectors not added: the document repeats a key, sent as received for the engine to judge',
  vlrerank_code: 'VLR_BAD_REQUEST',
} as const;

/** A document being embedded: its output line once done (or the error to rethrow in order). */
interface Slot {
  promise: Promise<void>;
  done: boolean;
  value?: Buffer;
  error?: unknown;
}

/** The transformed body as a stream of Buffers, each a run of whole newline-terminated lines. */
export function transformBulk(input: Readable, o: BulkTransformOptions, report: BulkReport): Readable {
  const queue: Array<Buffer | Slot> = [];
  let slots = 0; // unfinished-or-unflushed slots in the queue
  let item = -1;
  let expectSource: { op: string; index?: string; id?: string; routing?: string; item: number } | undefined;
  let broken = false; // after a line we cannot read, forward the rest untouched
  // index name → its ingest pipeline (the registry matches patterns with a split and regexes;
  // a bulk body names few indices, each many times)
  const ingestCache = new Map<string | undefined, ReturnType<PipelineRegistry['ingestFor']>>();
  const ingestFor = (index: string | undefined) => {
    if (ingestCache.has(index)) return ingestCache.get(index);
    const p = o.registry.ingestFor(index);
    if (ingestCache.size < 1024) ingestCache.set(index, p);
    return p;
  };
  // names no pattern covers that may be aliases of a pipeline's index (held-out probe round 5):
  // their lines wait for one lookup per name; once it answers "no", they leave untouched again
  const aliasSeen = new Map<string, Promise<ReturnType<PipelineRegistry['ingestFor']>>>();
  const aliasKnown = new Map<string, boolean>();
  const mayBeAlias = (index: string | undefined): index is string => !!o.aliasFor && !!index && aliasKnown.get(index) !== false && (aliasSeen.size < 64 || aliasSeen.has(index));
  // an alias the engine failed to describe: each of its documents is sent as received, its item saying why
  const aliasFault = new Map<string, { type: string; reason: string; vlrerank_code: string }>();
  const aliasPipeline = (index: string) => {
    let p = aliasSeen.get(index);
    if (!p) {
      p = o.aliasFor!(index).catch((e: unknown) => {
        const v = toVlrerankError(e);
        aliasFault.set(index, { type: v.type, reason: `vectors not added: the engine could not tell which index alias [${index}] writes to: ${v.message}`, vlrerank_code: v.code });
        return undefined;
      });
      p.then((x) => aliasFault.has(index) || aliasKnown.set(index, !!x), () => undefined);
      aliasSeen.set(index, p);
    }
    return p;
  };
  /** True when the next line leaves as received without even being looked at (no allocation). */
  const skipNext = (): boolean => {
    if (broken) return true;
    if (expectSource && !ingestFor(expectSource.index) && !mayBeAlias(expectSource.index)) {
      expectSource = undefined;
      return true;
    }
    return false;
  };

  /**
   * Decide one line (without its newline). Returns true when it leaves as received; otherwise a
   * slot was queued for it.
   */
  function line(bytes: Buffer, withNl: () => Buffer): boolean {
    if (broken) return true;
    if (expectSource) {
      const e = expectSource;
      expectSource = undefined;
      const pipeline = ingestFor(e.index);
      const alias = !pipeline && mayBeAlias(e.index) ? e.index : undefined;
      if (!pipeline && !alias) return true; // not an ingest index: raw bytes, no decoding
      const slot: Slot = { done: false, promise: undefined as unknown as Promise<void> };
      const keep = withNl();
      const out = pipeline ? transformLine(bytes, e, pipeline, o, e.item, report) : aliasPipeline(alias!).then((p) => (p ? transformLine(bytes, e, p, o, e.item, report) : void (aliasFault.has(alias!) && report.failures.set(e.item, aliasFault.get(alias!)!))));
      slot.promise = out.then(
        (s) => {
          slot.done = true;
          // a rewritten line ends as it came: with its newline, or without at the body's end
          slot.value = s === undefined ? keep : Buffer.from(keep[keep.length - 1] === 10 ? s + '\n' : s);
        },
        (err) => {
          slot.done = true;
          slot.error = err;
        },
      );
      queue.push(slot);
      slots++;
      return false;
    }
    if (bytes.length >= SMALL_BODY) {
      broken = true; // an action line this large is no real action: not parsed here (see the header)
      return true;
    }
    const text = bytes.toString('utf8');
    if (text.trim() === '') return true;
    let action: Record<string, { _index?: unknown; _id?: unknown; routing?: unknown } | undefined> | undefined;
    try {
      action = JSON.parse(text) as typeof action;
    } catch {
      broken = true;
      return true;
    }
    const op = action && typeof action === 'object' ? Object.keys(action)[0] : undefined;
    if (op && ACTIONS.has(op)) {
      item++;
      if (op !== 'delete') {
        const meta = action![op];
        const idx = meta && typeof meta._index === 'string' ? meta._index : o.pathIndex;
        const routing = meta && (typeof meta.routing === 'string' || typeof meta.routing === 'number') ? String(meta.routing) : undefined;
        expectSource = { op, index: idx, id: meta && typeof meta._id === 'string' ? meta._id : undefined, routing, item };
      }
    } else broken = true;
    return true;
  }

  /**
   * Everything ready at the head of the queue: one Buffer when small, else its pieces as they are
   * (a long line left as received is never joined into one copy on its way out).
   */
  function ready(): Buffer[] {
    const out: Buffer[] = [];
    while (queue.length) {
      const h = queue[0]!;
      if (Buffer.isBuffer(h)) out.push(h);
      else {
        if (!h.done) break;
        if (h.error !== undefined) throw h.error;
        out.push(h.value!);
        slots--;
      }
      queue.shift();
    }
    let size = 0;
    for (const b of out) size += b.length;
    return out.length <= 1 || size > JOIN_MAX ? out : [Buffer.concat(out, size)];
  }

  async function* run(): AsyncGenerator<Buffer> {
    let rest: Buffer[] | undefined; // the pieces of a line begun in an earlier chunk
    for await (const c of input) {
      const buf: Buffer = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
      let start = 0; // start of the current line in buf
      let span = 0; // start of the run of raw lines not yet queued
      let nl = buf.indexOf(10, 0);
      while (nl >= 0) {
        if (rest) {
          const pieces = [...rest, buf.subarray(0, nl + 1)];
          rest = undefined;
          if (skipNext()) queue.push(...pieces); // left as received: its pieces, never joined
          else {
            const whole = Buffer.concat(pieces);
            if (line(whole.subarray(0, whole.length - 1), () => whole)) queue.push(whole);
          }
          span = nl + 1;
        } else if (!skipNext()) {
          const s = start;
          const e = nl;
          // an action line into an index no pipeline ingests: its op is all that matters (a source
          // line follows unless it deletes), read in place — parsing every action line of a 100 MB
          // _bulk cost ~2 s of main-thread CPU
          const act = broken || expectSource ? undefined : plainAction(buf, s, e);
          const target = act ? (act.index ?? o.pathIndex) : undefined;
          // (a name that may be an alias of a pipeline's index is parsed: its source line may need the action's _id and routing)
          const plain = act !== undefined && !ingestFor(target) && !mayBeAlias(target);
          if (plain) {
            item++;
            if (act.op !== 'delete') expectSource = { op: act.op, index: target, item };
          }
          const raw = plain || line(buf.subarray(s, e), () => buf.subarray(s, e + 1));
          if (!raw) {
            // close the raw run before this line; the slot sits after it
            const slot = queue.pop()!;
            if (span < s) queue.push(buf.subarray(span, s));
            queue.push(slot);
            span = e + 1;
          }
        }
        start = nl + 1;
        if (slots > o.concurrency) {
          if (span < start) queue.push(buf.subarray(span, start));
          span = start;
          const head = queue.find((x): x is Slot => !Buffer.isBuffer(x))!;
          await head.promise;
          yield* ready();
        }
        nl = buf.indexOf(10, start);
      }
      if (span < start) queue.push(buf.subarray(span, start));
      if (start < buf.length) (rest ??= []).push(buf.subarray(start));
      yield* ready();
    }
    if (rest) {
      // the body's last line has no newline and keeps none, vectors or not: the engine refuses an
      // unterminated body as it would directly (byte for byte when left as received)
      const last = Buffer.concat(rest);
      if (line(last, () => last)) queue.push(last);
    }
    for (;;) {
      const head = queue.find((x): x is Slot => !Buffer.isBuffer(x));
      if (head) await head.promise;
      yield* ready();
      if (!head) break;
    }
  }
  return Readable.from(run(), { objectMode: false });
}
