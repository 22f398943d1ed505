/**
 * JSON bodies parsed off the main thread (issue 13 §2: no request can stall the server). One
 * worker thread (json-worker-source.ts) undoes the content coding, decodes UTF-8, looks for marker
 * words, checks the nesting depth and parses (a JSON value, or `_msearch` NDJSON split into its
 * items); the value comes back with its long strings cut out, and those come back one piece per
 * turn of the event loop (a string rebuilt from pieces is a rope: joining costs nothing until it
 * is read whole). So the main thread's share of a 31 MiB body is a few small messages, never one
 * long task.
 *
 * Built, started and closed by the composition root (server/services.ts) and handed to the body
 * readers through their deps; after `close()` it starts no thread again (a request still in
 * flight at shutdown gets a `worker` failure, not a thread left behind).
 * Never throws HTTP errors itself: failures come back as a `kind` the caller maps to its own error.
 * A worker that dies fails what it held and the next body starts a new one.
 *
 * One thread serves search and ingest alike, one body at a time: bodies wait their turn here in the
 * lanes of util/lanes.ts, read from the `signal` the caller passes (or from `jsonWorkerInLane`), so a
 * search's `_msearch` or body goes ahead of the `_bulk` source lines queued before it — they were
 * taken first come, first served — while ingest still gets one turn in BACKGROUND_EVERY.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Coding } from './content-coding.js';
import { JSON_WORKER_SOURCE } from './json-worker-source.js';
import { inLane, laneOfSignal, LaneQueue, type Lane } from './lanes.js';
import { answerTokens, stringifyAnswer, type AnswerToken, type Tokens } from './json-tokens.js';

export interface OffThreadOptions {
  coding: Coding;
  /** Decompressed size bound (server.maxJsonBodyBytes). */
  maxBytes: number;
  maxDepth: number;
  /** Words looked for in the text (`hasMarker`); parsing happens only when one is there, or `always`. */
  markers?: readonly string[];
  always?: boolean;
  /** Hand the bytes back (transferred) instead of losing them to the worker. */
  giveBack?: boolean;
  /** The caller owns the buffer's whole ArrayBuffer (nothing else views it): transfer, do not copy. */
  owned?: boolean;
  /** Only its lane is read (util/lanes.ts): the body's place among those waiting for the thread. */
  signal?: AbortSignal;
  /** Also find the tokens that do not print back as sent (util/json-tokens.ts `sentTokens`), in the thread. */
  tokens?: boolean;
  /** Strings longer than this come back alone, in pieces (default: the worker's `cutChars`, CUT_CHARS). */
  cutChars?: number;
}

/** A body the worker could not parse (or that it refused), with its bytes when given back. */
export type OffThreadFailure = { ok: false; kind: 'too_large' | 'decode' | 'deep' | 'syntax' | 'worker'; message: string; bytes?: Buffer };

export type OffThreadResult =
  | { ok: true; hasMarker: boolean; parsed: false; bytes?: Buffer }
  | { ok: true; hasMarker: boolean; parsed: true; value: unknown; bytes?: Buffer; tokens?: Tokens }
  | OffThreadFailure;

/** An `_msearch` item the worker split out: its lines as byte ranges, its values when they hold a marker word (or `always`). */
export interface NdjsonItem {
  /** Header and body line, without their newline (views into `text` of the result: no copy). */
  headerLine: Buffer;
  bodyLine: Buffer;
  /** Parsed header and body; absent for an item whose lines hold no marker word (it is forwarded as its bytes). */
  values?: { header: Record<string, unknown>; body: unknown };
}

export type NdjsonResult =
  | { ok: true; hasMarker: boolean; parsed: false; bytes?: Buffer }
  | { ok: true; hasMarker: boolean; parsed: true; items: NdjsonItem[]; bytes?: Buffer }
  | OffThreadFailure;

type Key = string | number;
interface Reply {
  id: number;
  ok: boolean;
  kind?: 'too_large' | 'decode' | 'deep' | 'syntax';
  message?: string;
  hasMarker?: boolean;
  parsed?: boolean;
  value?: unknown;
  longs?: Array<{ path: Key[]; length: number }>;
  piece?: string;
  bytes?: ArrayBuffer;
  /** stringify: the answer's UTF-8 bytes (their count in `length`). */
  length?: number;
  /** ndjson: header start, end, body start, end (bytes) of each item. */
  lines?: ArrayBuffer;
  /** ndjson with a content coding: the decoded bytes the ranges point into. */
  decoded?: ArrayBuffer;
  /** parse with `tokens`: what sentTokens answers for the text (undefined: every token prints back as sent). */
  tokens?: Tokens;
}

/** Bodies (and `_bulk` lines) under this size are parsed on the main thread (~1 ms of JSON.parse); larger ones in the JSON worker. */
export const SMALL_BODY = 256 * 1024;

/**
 * Answers whose JSON is estimated at this many bytes or more (answerSize) are written in the JSON
 * worker (server.answerWorkerFromBytes); smaller ones here, where the round trip would cost more.
 */
export const ANSWER_WORKER_FROM_BYTES = 256 * 1024;

/** An answer written (JsonWorker.stringify): its UTF-8 JSON, and whether the worker wrote it. */
export type StringifyResult = { ok: true; bytes: Buffer; offThread: boolean } | OffThreadFailure;

/** Strings longer than this are not cloned with the value but sent alone, one per turn of the event loop. */
export const CUT_CHARS = 64 * 1024;
/**
 * Characters per message of a string sent alone. A string of one piece arrives flat; a longer one
 * becomes a rope that V8 copies whole (flattens) the first time anything reads it — measured:
 * 150–270 ms for a 31 Mi-character rope on the loaded 2-core machine — so pieces are large enough
 * that ordinary long documents (a 2.6 MiB text) come in one (~8 MB of UTF-16 at most per turn).
 */
export const PIECE_CHARS = 4 * 1024 * 1024;

const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

export class JsonWorker {
  #worker: Worker | undefined;
  #closed = false;
  #next = 1;
  readonly #waiting = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();
  readonly #piece: number;
  readonly #cut: number;
  readonly #limits: ResourceLimits | undefined;
  readonly #answerFrom: number;
  #answersOffThread = 0;
  /** Bodies waiting for the thread, by lane; `#busy` while one is being parsed (until its first answer). */
  readonly #turns = new LaneQueue<() => void>();
  #busy = false;

  /**
   * `resourceLimits`: the thread's heap bounds (a body too large for them kills the thread, not the process).
   * `answerFromBytes`: answers estimated this large or larger are written in the thread (ANSWER_WORKER_FROM_BYTES).
   */
  constructor(o: { pieceChars?: number; cutChars?: number; resourceLimits?: ResourceLimits; answerFromBytes?: number } = {}) {
    this.#piece = o.pieceChars ?? PIECE_CHARS;
    this.#cut = o.cutChars ?? CUT_CHARS;
    this.#limits = o.resourceLimits;
    this.#answerFrom = o.answerFromBytes ?? ANSWER_WORKER_FROM_BYTES;
  }

  /** Answers written in the thread so far (stringify). */
  get answersOffThread(): number {
    return this.#answersOffThread;
  }

  /**
   * `value` as UTF-8 JSON, as `Buffer.from(stringifyAnswer(value))` writes it (util/json-tokens.ts:
   * `JSON.stringify`, numbers kept as the engine wrote them; with `indent`: indented, a newline
   * after): here for an answer estimated under `answerFromBytes` (answerSize, which stops counting there), else in the thread — the structured clone of the value is all this thread
   * pays (a memory copy of its strings), not the escaping scan, the UTF-8 encoding and the copies of
   * a 10 MiB echo (issue 13: health waited 130–290 ms behind one). A value the clone cannot take (a
   * function inside) is written here; a thread that fails or dies is a `worker` failure, never a hang.
   */
  async stringify(value: unknown, indent?: number): Promise<StringifyResult> {
    const here = (): StringifyResult => ({ ok: true, bytes: Buffer.from(indent ? stringifyAnswer(value, indent) + '\n' : stringifyAnswer(value)), offThread: false });
    if (this.#closed || answerSize(value, this.#answerFrom) < this.#answerFrom) return here();
    const id = this.#next++;
    // numbers kept as the engine wrote them (util/json-tokens.ts): each swapped for a placeholder while
    // the value is cloned (postMessage clones at once), then put back; the worker writes them in
    const kept: string[] = [];
    const nonce = `vlr-token-${Math.random().toString(36).slice(2)}-`;
    const tokenOf = answerTokens(value);
    const swapped = tokenOf ? swapTokens(value, tokenOf, nonce, kept) : [];
    let asked: Promise<Reply>;
    try {
      asked = this.#ask(id, { op: 'stringify', id, value, indent: indent ?? 0, nonce, kept });
    } finally {
      for (const [holder, key, v] of swapped) holder[key] = v;
    }
    let r: Reply;
    try {
      r = await asked;
    } catch (e) {
      if ((e as Error).name === 'DataCloneError') return here();
      return { ok: false, kind: 'worker', message: (e as Error).message };
    }
    if (!r.ok || !r.bytes) return { ok: false, kind: 'worker', message: r.message ?? 'the JSON worker wrote no answer' };
    this.#answersOffThread++;
    return { ok: true, bytes: Buffer.from(r.bytes, 0, r.length), offThread: true };
  }

  /** Start the thread now (a server does at start, so the first large body does not wait for it). */
  start(): this {
    if (!this.#closed) this.#spawned();
    return this;
  }

  /** The running thread's id (`worker_threads` threadId), undefined when none runs. */
  get threadId(): number | undefined {
    return this.#worker?.threadId;
  }

  /**
   * Parse `bytes` off the main thread. With `owned`, the buffer's memory is transferred to the
   * worker: do not use `bytes` afterwards — ask `giveBack` for it.
   */
  async parse(bytes: Buffer, o: OffThreadOptions): Promise<OffThreadResult> {
    const r = await this.#run('parse', bytes, o);
    if (!r.ok) return r;
    if (!r.reply.parsed) return { ok: true, hasMarker: !!r.reply.hasMarker, parsed: false, ...r.back };
    return { ok: true, hasMarker: !!r.reply.hasMarker, parsed: true, value: r.value, ...r.back, ...(r.reply.tokens ? { tokens: r.reply.tokens } : {}) };
  }

  /**
   * An `_msearch` NDJSON body split into items and parsed off the main thread, by the rules of
   * search/msearch.ts's parseMsearch (a break of them is `syntax`). Items come back as views into
   * the bytes after the content coding (the given-back bytes for identity, else the decoded ones).
   */
  async ndjson(bytes: Buffer, o: OffThreadOptions): Promise<NdjsonResult> {
    const r = await this.#run('ndjson', bytes, o);
    if (!r.ok) return r;
    if (!r.reply.parsed) return { ok: true, hasMarker: !!r.reply.hasMarker, parsed: false, ...r.back };
    const text = r.reply.decoded ? Buffer.from(r.reply.decoded) : r.back.bytes;
    const ranges = new Uint32Array(r.reply.lines ?? new ArrayBuffer(0));
    if (!text && ranges.length) return { ok: false, kind: 'worker', message: 'the JSON worker gave back no bytes for the lines (ask giveBack)', ...r.back };
    const items: NdjsonItem[] = [];
    for (let k = 0; k < ranges.length; k += 4) items.push({ headerLine: text!.subarray(ranges[k], ranges[k + 1]), bodyLine: text!.subarray(ranges[k + 2], ranges[k + 3]) });
    for (const v of r.value as Array<{ i: number; header: Record<string, unknown>; body: unknown }>) items[v.i]!.values = { header: v.header, body: v.body };
    return { ok: true, hasMarker: !!r.reply.hasMarker, parsed: true, items, ...r.back };
  }

  /** Stop the thread for good: pending requests fail, later ones fail at once, no thread starts again. */
  async close(): Promise<void> {
    this.#closed = true;
    const w = this.#worker;
    this.#worker = undefined;
    if (w) await w.terminate();
  }

  /** Send one body, then gather the long strings of the answer one piece per turn of the event loop. */
  async #run(
    op: 'parse' | 'ndjson',
    bytes: Buffer,
    o: OffThreadOptions,
  ): Promise<{ ok: true; reply: Reply; value: unknown; back: { bytes?: Buffer } } | OffThreadFailure> {
    if (this.#closed) return { ok: false, kind: 'worker', message: 'the JSON worker is closed (the server is stopping)' };
    const id = this.#next++;
    // memory the caller owns whole (body.ts reads into such buffers) is transferred as it is; any
    // other buffer may be a view into memory others use (Node's Buffer pool): it is copied first
    let owned = bytes;
    if (!o.owned || bytes.byteOffset !== 0) {
      owned = Buffer.allocUnsafeSlow(bytes.length); // its own ArrayBuffer (Buffer.from would use the pool)
      bytes.copy(owned);
    }
    const ab = owned.buffer as ArrayBuffer;
    const length = owned.length; // read before the transfer detaches `owned`
    const msg = { op, id, bytes: ab, length, coding: o.coding, maxBytes: o.maxBytes, maxDepth: o.maxDepth, markers: o.markers ?? [], always: o.always ?? false, cut: o.cutChars ?? this.#cut, piece: this.#piece, giveBack: o.giveBack ?? false, tokens: o.tokens ?? false };
    await this.#turn(laneOfSignal(o.signal));
    let r: Reply;
    try {
      r = await this.#ask(id, msg, [ab]);
    } catch (e) {
      return { ok: false, kind: 'worker', message: (e as Error).message };
    } finally {
      this.#nextTurn(); // its long strings, if any, are asked for beside the next body's parse
    }
    const back = r.bytes ? { bytes: Buffer.from(r.bytes, 0, length) } : {};
    if (!r.ok) return { ok: false, kind: r.kind ?? 'worker', message: r.message ?? 'the JSON worker failed', ...back };
    if (!r.parsed) return { ok: true, reply: r, value: undefined, back };
    let value = r.value;
    try {
      for (const long of r.longs ?? []) {
        let s = '';
        for (let got = 0; got < long.length; ) {
          await yieldTurn(); // one piece per turn: health and passthrough get the loop in between
          const p = await this.#ask(id, { op: 'piece', id });
          if (!p.ok || typeof p.piece !== 'string' || p.piece.length === 0) throw new Error(p.message ?? 'the JSON worker lost a piece');
          s += p.piece;
          got += p.piece.length;
        }
        value = setAt(value, long.path, s);
      }
    } catch (e) {
      this.#worker?.postMessage({ op: 'drop', id });
      return { ok: false, kind: 'worker', message: (e as Error).message, ...back };
    }
    return { ok: true, reply: r, value, back };
  }

  /** This body's turn at the thread: at once when none is parsed, else when its lane is taken. */
  #turn(lane: Lane): Promise<void> {
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve();
    }
    return new Promise<void>((go) => this.#turns.push(go, lane));
  }

  #nextTurn(): void {
    const [go] = this.#turns.take(1);
    if (go) go();
    else this.#busy = false;
  }

  #ask(id: number, msg: object, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.#closed) return Promise.reject(new Error('the JSON worker is closed (the server is stopping)'));
    const w = this.#spawned();
    return new Promise<Reply>((resolve, reject) => {
      try {
        w.postMessage(msg, transfer); // throws (DataCloneError) for a value the clone cannot take
      } catch (e) {
        reject(e as Error);
        return;
      }
      this.#waiting.set(id, { resolve, reject });
      w.ref(); // a pending answer keeps the process alive; idle, the thread does not
    });
  }

  #spawned(): Worker {
    if (this.#worker) return this.#worker;
    // execArgv []: plain CommonJS; the parent's loader flags (`--import tsx`) are not wanted here
    const w = new Worker(JSON_WORKER_SOURCE, { eval: true, execArgv: [], name: 'vlrerank-json', ...(this.#limits ? { resourceLimits: this.#limits } : {}) });
    w.on('message', (m: Reply) => {
      const waiting = this.#waiting.get(m.id);
      if (!waiting) return;
      this.#waiting.delete(m.id);
      if (this.#waiting.size === 0) w.unref();
      waiting.resolve(m);
    });
    const lost = (why: string) => {
      if (this.#worker === w) this.#worker = undefined;
      const all = [...this.#waiting.values()];
      this.#waiting.clear();
      for (const p of all) p.reject(new Error(`the JSON worker ${why}`));
    };
    w.on('error', (e) => lost(`failed: ${e.message}`));
    w.on('exit', (code) => lost(`exited with code ${code}`));
    w.unref();
    this.#worker = w;
    return w;
  }
}

/** What a body reader needs of the JSON worker: the worker itself, or the same in a lane (jsonWorkerInLane). */
export type JsonParser = Pick<JsonWorker, 'parse' | 'ndjson'>;

/**
 * The same worker with every body queued in `lane` (its signal marked, as rerank/embedder.ts's
 * `embedderInLane` does for model work): what the composition root hands ingest (`background`).
 */
export function jsonWorkerInLane(w: JsonWorker, lane: Lane): JsonParser {
  const run = async <T>(o: OffThreadOptions, f: (o: OffThreadOptions) => Promise<T>): Promise<T> => {
    const marked = inLane(lane, o.signal);
    try {
      return await f({ ...o, signal: marked.signal });
    } finally {
      marked.dispose();
    }
  };
  return { parse: (bytes, o) => run(o, (x) => w.parse(bytes, x)), ndjson: (bytes, o) => run(o, (x) => w.ndjson(bytes, x)) };
}

/** `value` with `s` put at `path` (the root itself when the path is empty). */
function setAt(value: unknown, path: Key[], s: string): unknown {
  if (path.length === 0) return s;
  let node = value as Record<Key, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<Key, unknown>;
  node[path[path.length - 1]!] = s;
  return value;
}

/**
 * About how many bytes `value`'s JSON takes, counted only up to `bound` (then `bound` is returned):
 * strings and keys by their length, other scalars a few bytes each. Cheap before stringifying: it
 * never reads a string's characters, and it stops once past `bound`, so an answer of any size costs
 * at most the walk of its nodes up to there.
 */
export function answerSize(value: unknown, bound: number): number {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length && n < bound) {
    const v = stack.pop();
    if (typeof v === 'string') n += v.length + 2;
    else if (v === null || typeof v !== 'object') n += 8;
    else if (Array.isArray(v)) {
      n += 2 + v.length;
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else {
      n += 2;
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        n += k.length + 4;
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  return Math.min(n, bound);
}

type Holder = Record<string, unknown>;

/**
 * Swap each value `tokenOf` keeps a token for (as stringifyAnswer's replacer asks it: holder, key,
 * value) for `"<nonce><i>"`, the token pushed to `kept` at i; returns what to put back. A walk of
 * the nodes, never of a string's characters.
 */
function swapTokens(value: unknown, tokenOf: AnswerToken, nonce: string, kept: string[]): Array<[Holder, string, unknown]> {
  const swapped: Array<[Holder, string, unknown]> = [];
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    const holder = v as Holder;
    for (const key of Array.isArray(v) ? v.keys() : Object.keys(v)) {
      const k = String(key);
      const x = holder[k];
      const token = tokenOf(holder, k, x);
      if (token === undefined) {
        stack.push(x);
        continue;
      }
      swapped.push([holder, k, x]);
      holder[k] = `${nonce}${kept.length}`;
      kept.push(token);
    }
  }
  return swapped;
}
