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
import { BulkWrites } from './bulk-writes.js';
import { engineRun, transformLine, type BulkReport, type BulkTransformOptions } from './bulk-line.js';
import { plainAction } from './bulk-action.js';
import { SMALL_BODY } from '../util/json-worker.js';
import { SIMULATE_MAX_BYTES, SIMULATE_MAX_DOCS } from './engine-pipeline.js';
import { Semaphore } from '../util/semaphore.js';
import { ingestPipelineOf } from './alias.js';
import { leadOf } from './leads.js';

export { DUPLICATE_KEY } from './bulk-line.js';
export type { BulkReport, BulkTransformOptions } from './bulk-line.js';

const ACTIONS = new Set(['index', 'create', 'update', 'delete']);
/**
 * Documents (and their bytes) read ahead while they wait for their engine pipeline's simulate batch
 * (engine-pipeline.ts `SimulateBatches`): two calls' worth, so the next batch gathers while one is asked.
 */
const SIMULATE_AHEAD_DOCS = 2 * SIMULATE_MAX_DOCS;
const SIMULATE_AHEAD_BYTES = 2 * SIMULATE_MAX_BYTES;
/** A body that pauses this long (a client sending it slowly) has its waiting documents asked for meanwhile. */
const SIMULATE_IDLE_MS = 50;
/** Output pieces ready together are joined into one write up to this many bytes. */
const JOIN_MAX = 1024 * 1024;

/** A document being embedded: its output line once done (or the error to rethrow in order). */
interface Slot {
  promise: Promise<void>;
  done: boolean;
  value?: Buffer;
  error?: unknown;
}

/**
 * A source line the engine refuses by itself, storing nothing (a metadata field inside the document:
 * Elasticsearch's `document_parsing_exception`, OpenSearch's `mapper_parsing_exception` — for
 * `index`, `create` and `update`, `if_seq_no` and `dynamic: false` too): the item keeps its place in
 * the engine's answer, where vlrerank puts its 429.
 */
export function deferredLine(op: string): string {
  return op === 'update' ? '{"doc":{"_seq_no":0}}' : '{"_seq_no":0}';
}

/** The transformed body as a stream of Buffers, each a run of whole newline-terminated lines. */
export function transformBulk(input: Readable, o: BulkTransformOptions, report: BulkReport): Readable {
  const queue: Array<Buffer | Slot> = [];
  // the client gone (o.signal aborted): the documents not yet transformed leave as received — the
  // engine, sent the whole body directly, stores it all; backfill adds their vectors and records
  const signal = o.signal;
  const gone = signal && new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
  const asReceived = () => void (report.asReceived = (report.asReceived ?? 0) + 1);
  // the body's time budget (pipelines.bulkBudgetMs) run out: documents not embedded by then are not
  // stored — each becomes a line the engine refuses on its own (keeping every item in its place),
  // answered as a per-item 429 the clients' bulk helpers retry (bulk-report.ts); work under way
  // goes on in the background, so the retry finds it done (held-out probe round 21b)
  let late = false;
  let leading = o.concurrency; // lead documents still to find (leads.ts): their work always starts, even past the budget
  let timer: NodeJS.Timeout | undefined;
  const due = o.budgetMs ? new Promise<void>((r) => (timer = setTimeout(() => ((late = true), r()), o.budgetMs).unref())) : undefined;
  const defer = (op: string, item: number, keep: Buffer): Buffer => {
    (report.deferred ??= new Set()).add(item);
    return Buffer.from(deferredLine(op) + (keep[keep.length - 1] === 10 ? '\n' : ''));
  };
  let slots = 0; // unfinished-or-unflushed slots in the queue
  // slots whose document waits for its engine pipeline's simulate batch: not counted against
  // `concurrency` (which bounds the documents being embedded), so a batch gathers up to
  // SIMULATE_AHEAD_* of them; the batches are asked whenever the stream is about to wait for one
  let simulating = 0;
  let simulatingBytes = 0;
  // once answered, a batch's documents are embedded `concurrency` at a time, as the others are
  const turns = o.pipelined && new Semaphore(o.concurrency);
  const mustWait = () => slots - simulating > o.concurrency || simulating >= SIMULATE_AHEAD_DOCS || simulatingBytes >= SIMULATE_AHEAD_BYTES;
  let item = -1;
  let expectSource: { op: string; index?: string; id?: string; routing?: string; item: number; action?: string; pipeline?: string } | undefined;
  let broken = false; // after a line we cannot read, forward the rest untouched
  const writes = new BulkWrites(); // what earlier actions leave of an id, for a later update of it
  // index name → its ingest pipeline (the registry matches patterns with a split and regexes;
  // a bulk body names few indices, each many times)
  const ingestCache = new Map<string | undefined, ReturnType<PipelineRegistry['ingestFor']>>();
  const ingestFor = (index: string | undefined) => {
    if (ingestCache.has(index)) return ingestCache.get(index);
    const p = ingestPipelineOf(o.registry, index); // a data stream's backing index: the stream's pipeline
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
      if (signal?.aborted) {
        if (pipeline || aliasKnown.get(alias!)) asReceived();
        return true;
      }
      if (e.id !== undefined) (report.ids ??= new Map()).set(e.item, e.id);
      if (e.index !== undefined) (report.targets ??= new Map()).set(e.item, e.index);
      // its index refused these credentials' writes lately: as received, for the engine's refusal at once (refused-writes.ts)
      if (e.index !== undefined && o.refusedLately?.(e.index)) {
        (report.refusedLately ??= new Set()).add(e.item);
        return true;
      }
      const slot: Slot = { done: false, promise: undefined as unknown as Promise<void> };
      const keep = withNl();
      // an unknown name may be no pipeline's: never deferred
      const known = !!pipeline || aliasKnown.get(alias!) === true;
      // the lead's work always starts and is deferred only at the budget; one whose earlier deferred
      // run still works is deferred at once, one whose run is done stored now (leads.ts: each try progresses)
      const lead = known && leading > 0 && o.budgetMs ? leadOf(e.index, e.action, bytes) : undefined;
      if (lead?.state === 'new') leading--;
      const deferrable = known && lead?.state !== 'done';
      if ((late && deferrable && lead?.state !== 'new') || lead?.state === 'running') {
        slot.done = true;
        slot.value = defer(e.op, e.item, keep);
        if (lead?.state === 'running') (report.stillRunning ??= new Set()).add(e.item);
        slot.promise = Promise.resolve();
        queue.push(slot);
        slots++;
        return false;
      }
      const claim = writes.claim(e.index, e.id, e.routing);
      let leave: (() => void) | undefined; // no longer waiting for its simulate batch
      let held: (() => void) | undefined; // its turn among the documents embedded
      let turn: ((simulated: boolean) => Promise<void>) | undefined;
      if (turns && engineRun(e.op, o)) {
        const size = bytes.length;
        simulating++;
        simulatingBytes += size;
        leave = () => {
          leave = undefined;
          simulating--;
          simulatingBytes -= size;
        };
        // one its index's settings run no engine pipeline for is embedded as any other (fix23p)
        turn = async (simulated) => {
          if (simulated) held = await turns.acquire();
          leave?.();
        };
      }
      const out = (pipeline ? transformLine(bytes, e, pipeline, o, e.item, report, claim, turn) : aliasPipeline(alias!).then((p) => (p ? transformLine(bytes, e, p, o, e.item, report, claim, turn) : void (aliasFault.has(alias!) && report.failures.set(e.item, aliasFault.get(alias!)!))))).finally(() => {
        claim.settle(undefined);
        leave?.();
        held?.();
      });
      lead?.follow(out, () => report.deferred?.has(e.item) === true);
      const done = out.then(
        (s) => {
          if (slot.done) return;
          slot.done = true;
          // a rewritten line ends as it came: with its newline, or without at the body's end
          slot.value = s === undefined ? keep : Buffer.from(keep[keep.length - 1] === 10 ? s + '\n' : s);
        },
        (err) => {
          if (slot.done) return;
          slot.done = true;
          if (signal?.aborted) {
            slot.value = keep; // the client's leaving cut its model work: as received
            asReceived();
          } else slot.error = err;
        },
      );
      // the client gone while it is embedded (a running batch is not interrupted): as received at once
      const racers = [done];
      if (gone) racers.push(gone.then(() => void (slot.done || ((slot.done = true), (slot.value = keep), asReceived()))));
      if (due && deferrable) racers.push(due.then(() => void (slot.done || ((slot.done = true), (slot.value = defer(e.op, e.item, keep))))));
      slot.promise = racers.length > 1 ? Promise.race(racers) : done;
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
    let action: Record<string, { _index?: unknown; _id?: unknown; routing?: unknown; pipeline?: unknown } | undefined> | undefined;
    try {
      action = JSON.parse(text) as typeof action;
    } catch {
      broken = true;
      return true;
    }
    const op = action && typeof action === 'object' ? Object.keys(action)[0] : undefined;
    if (op && ACTIONS.has(op)) {
      item++;
      const meta = action![op];
      const index = meta && typeof meta._index === 'string' ? meta._index : o.pathIndex;
      const id = meta && typeof meta._id === 'string' ? meta._id : undefined;
      const routing = meta && (typeof meta.routing === 'string' || typeof meta.routing === 'number') ? String(meta.routing) : undefined;
      const enginePipeline = meta && typeof meta.pipeline === 'string' ? meta.pipeline : undefined;
      // a delete has no source line: it settles its claim on the id at once (bulk-writes.ts)
      if (op === 'delete') writes.claim(index, id, routing).settle({ deleted: true });
      else expectSource = { op, index, id, routing, item, action: text, ...(enginePipeline !== undefined ? { pipeline: enginePipeline } : {}) };
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
    // a body that stops coming for SIMULATE_IDLE_MS: its batches are asked meanwhile, not at its end
    let idle: NodeJS.Timeout | undefined;
    for await (const c of input) {
      clearTimeout(idle);
      o.pipelined?.gather();
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
        if (mustWait()) {
          if (span < start) queue.push(buf.subarray(span, start));
          span = start;
          o.pipelined?.flush(); // the head may wait for a batch not yet asked
          const head = queue.find((x): x is Slot => !Buffer.isBuffer(x))!;
          await head.promise;
          o.pipelined?.gather();
          yield* ready();
        }
        nl = buf.indexOf(10, start);
      }
      if (span < start) queue.push(buf.subarray(span, start));
      if (start < buf.length) (rest ??= []).push(buf.subarray(start));
      if (simulating) idle = setTimeout(() => o.pipelined?.flush(), SIMULATE_IDLE_MS).unref();
      yield* ready();
    }
    clearTimeout(idle);
    if (rest) {
      // the body's last line has no newline and keeps none, vectors or not: the engine refuses an
      // unterminated body as it would directly (byte for byte when left as received)
      const last = Buffer.concat(rest);
      if (line(last, () => last)) queue.push(last);
    }
    o.pipelined?.flush(); // the body's end: every batch asked
    for (;;) {
      const head = queue.find((x): x is Slot => !Buffer.isBuffer(x));
      if (head) await head.promise;
      yield* ready();
      if (!head) break;
    }
    clearTimeout(timer);
  }
  return Readable.from(run(), { objectMode: false });
}
