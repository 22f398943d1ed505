/**
 * Priority lanes for shared queues (the model batchers, the media slots): work
 * someone is waiting on goes ahead of work nobody is (held-out probe round 10b: 24/24 searches
 * with a 500 ms budget came back `degraded: "timeout"` while a proxied `_bulk` of 500 abstracts
 * was embedded — their document texts queued behind ingest's in one FIFO).
 *
 * Three classes, best first:
 * - `query`: a search's query (a caller waits on it before anything else can start);
 * - `foreground`: a search's or a rerank API call's documents — the default of any work not
 *   marked otherwise, so a caller that never heard of lanes keeps its old place;
 * - `background`: ingest, backfill and record write-back — documents nobody is waiting on at once.
 *
 * The class travels with the work's AbortSignal, which every layer already hands down to the queues
 * (a batcher's `submit`, a semaphore's `acquire`): a caller marks its signal once (`inLane`), signals
 * derived from it (util/abort.ts `fanOutSignal`) keep the mark, and work shared by several callers
 * (`SharedAbort`) takes the best lane among them. An unmarked signal, or none, is `foreground`. A
 * signal rather than AsyncLocalStorage: that would turn on promise hooks for the whole process, and
 * every passthrough request paid for them (+10–15 % CPU a request in a side-by-side run). The lane
 * is read when work is queued: work already queued or running is never moved or interrupted.
 *
 * No starvation: background goes whenever no query or foreground item waits, and also takes
 * one turn in every `backgroundEvery` while it is passed over — under a steady stream of searches
 * ingest still makes progress at a bounded share instead of hanging until its client gives up;
 * a search waits for at most one background turn (one batch) in that many.
 *
 * Where lanes apply: every model batcher (text, image, video — models/batcher.ts) and every
 * Semaphore waited on with a signal: media and network slots, video probes, the image decode and
 * preprocess slots and the ffmpeg slots (the part's shared signal, so a decode several requests
 * wait for takes the best lane among them), and the JSON worker that parses large bodies (ingest's
 * `_bulk` lines and `_doc` bodies through `jsonWorkerInLane`). The inference worker needs none: each batcher hands it one
 * batch at a time. Rerank admission needs none: ingest and backfill take no place there.
 * Never knows what the work is; imports nothing of the project.
 */
import { setMaxListeners } from 'node:events';

export type Lane = 'query' | 'foreground' | 'background';
export const LANES: readonly Lane[] = Object.freeze(['query', 'foreground', 'background'] as const);

const RANK: Record<Lane, number> = { query: 0, foreground: 1, background: 2 };
/** Lanes of marked signals (weakly held: a signal's mark goes with it). */
const marks = new WeakMap<AbortSignal, Lane>();

/** The better (earlier) of two lanes. */
export function bestLane(a: Lane, b: Lane): Lane {
  return RANK[a] <= RANK[b] ? a : b;
}

/** The lane of work queued with `signal`: its mark, `foreground` when unmarked or none. */
export function laneOfSignal(signal: AbortSignal | undefined): Lane {
  return (signal && marks.get(signal)) ?? 'foreground';
}

/** Mark `signal` with `lane` (its own signal, or one made for the purpose). */
export function markLane(signal: AbortSignal, lane: Lane): void {
  marks.set(signal, lane);
}

/** The child each live parent signal has in each lane, shared by every unit of work given it at once. */
const children = new WeakMap<AbortSignal, Map<Lane, { signal: AbortSignal; users: number; dispose: () => void }>>();

/**
 * A signal in `lane` that aborts when `parent` does (never, without one); `dispose()` stops
 * following the parent once the work is done. The units of work given one parent at once in one
 * lane share one child, so the parent carries one abort listener however many there are: a `_bulk`
 * embedding its documents in the background lane put one listener per document on the request's
 * signal, and the 11th made Node print MaxListenersExceededWarning "possible EventTarget memory
 * leak" through every first `npm start`. The last unit's `dispose()` removes the listener.
 */
export function inLane(lane: Lane, parent?: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  if (!parent || parent.aborted) {
    const ac = markedController(lane);
    if (parent) ac.abort(parent.reason);
    return { signal: ac.signal, dispose: () => undefined };
  }
  let byLane = children.get(parent);
  if (!byLane) children.set(parent, (byLane = new Map()));
  let child = byLane.get(lane);
  if (!child) {
    const ac = markedController(lane);
    const onAbort = () => ac.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    byLane.set(lane, (child = { signal: ac.signal, users: 0, dispose: () => parent.removeEventListener('abort', onAbort) }));
  }
  const shared = child;
  shared.users++;
  let disposed = false;
  return {
    signal: shared.signal,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      if (--shared.users > 0) return;
      shared.dispose();
      if (byLane.get(lane) === shared) byLane.delete(lane);
    },
  };
}

/** A controller whose signal is marked `lane`, with no listener limit: every item of the work may listen to it. */
function markedController(lane: Lane): AbortController {
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  marks.set(ac.signal, lane);
  return ac;
}

/**
 * The lane of one item queued with `signal`: `first` (a query, or work finishing something already
 * started) is the `query` class in the foreground; in the background it goes ahead of its own lane
 * only — an ingest's query vectors never pass a search's documents.
 */
export function laneOf(first: boolean, signal?: AbortSignal): { lane: Lane; first: boolean } {
  const lane = laneOfSignal(signal);
  if (lane === 'background') return { lane, first };
  return { lane: first || lane === 'query' ? 'query' : 'foreground', first };
}

/** Default share: one background turn in every this many while foreground work waits. */
export const BACKGROUND_EVERY = 8;

interface Entry<T> {
  item: T;
  lane: Lane;
  first: boolean;
  at: number;
}

/**
 * A queue of items in lanes. `take(n)` returns the next turn: up to `n` query and foreground
 * items (in that order, each lane first-in first-out, `first` items ahead within their lane), or
 * up to `n` background items when none of those waits or when background's share is due. A turn
 * never mixes background items into a foreground turn: they would lengthen the run a search waits on.
 */
export class LaneQueue<T> {
  readonly #lanes: Record<Lane, Entry<T>[]> = { query: [], foreground: [], background: [] };
  readonly #every: number;
  /** Turns given to query/foreground in a row while background waited. */
  #passed = 0;
  readonly #waited: Record<Lane, { count: number; ms: number }> = { query: { count: 0, ms: 0 }, foreground: { count: 0, ms: 0 }, background: { count: 0, ms: 0 } };
  readonly #now: () => number;

  constructor(backgroundEvery = BACKGROUND_EVERY, now: () => number = () => performance.now()) {
    this.#every = Math.max(1, Math.floor(backgroundEvery));
    this.#now = now;
  }

  get length(): number {
    return this.#lanes.query.length + this.#lanes.foreground.length + this.#lanes.background.length;
  }

  /** Items waiting in one lane. */
  depth(lane: Lane): number {
    return this.#lanes[lane].length;
  }

  /** Items taken so far per lane and the total ms they waited (monotonic). */
  waited(): Record<Lane, { count: number; ms: number }> {
    return { query: { ...this.#waited.query }, foreground: { ...this.#waited.foreground }, background: { ...this.#waited.background } };
  }

  push(item: T, lane: Lane, first = false): void {
    const q = this.#lanes[lane];
    const e: Entry<T> = { item, lane, first, at: this.#now() };
    if (!first) q.push(e);
    else {
      const at = q.findIndex((x) => !x.first);
      q.splice(at < 0 ? q.length : at, 0, e);
    }
  }

  /** Take an item out wherever it waits (its caller gave up); false when it is not queued. */
  remove(item: T): boolean {
    for (const lane of LANES) {
      const q = this.#lanes[lane];
      const i = q.findIndex((e) => e.item === item);
      if (i >= 0) {
        q.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** The next turn: at most `n` items (empty when nothing waits). */
  take(n: number): T[] {
    const bg = this.#lanes.background;
    const fg = this.#lanes.query.length + this.#lanes.foreground.length;
    let out: Entry<T>[];
    if (bg.length && (fg === 0 || this.#passed >= this.#every - 1)) {
      this.#passed = 0;
      out = bg.splice(0, n);
    } else {
      out = this.#lanes.query.splice(0, n);
      if (out.length < n) out = out.concat(this.#lanes.foreground.splice(0, n - out.length));
      if (bg.length && out.length) this.#passed++;
    }
    const now = this.#now();
    for (const e of out) {
      const w = this.#waited[e.lane];
      w.count++;
      w.ms += now - e.at;
    }
    return out.map((e) => e.item);
  }

  /** Everything still queued, emptied (close). */
  drainAll(): T[] {
    const all = [...this.#lanes.query, ...this.#lanes.foreground, ...this.#lanes.background].map((e) => e.item);
    for (const lane of LANES) this.#lanes[lane] = [];
    return all;
  }
}
