/**
 * A counting semaphore: bounds concurrent work (media fetch + decode, ffmpeg processes, the
 * rerank requests of a Reranker) without busy waiting. `acquire()` gives a release function that
 * is safe to call more than once; a waiter whose AbortSignal aborts leaves the line. A waiter that
 * asks `first` goes ahead of every waiter that did not (behind earlier `first` ones): work that
 * finishes something already started (an image decoded, now to be preprocessed) before work that
 * starts something new. Waiters are served by the lane of their signal (util/lanes.ts): a search's
 * waiter goes ahead of ingest's (`background`; a waiter without a signal is `foreground`), which still gets a bounded share of the permits freed while
 * searches wait (held-out probe round 10b: media and decode slots held by ingest's photos).
 * Never knows what the work is; imports only the lanes.
 */
import { LaneQueue, laneOf } from './lanes.js';

export class Semaphore {
  #free: number;
  readonly #waiters: LaneQueue<() => void>;

  constructor(permits: number, backgroundEvery?: number) {
    this.#free = Math.max(1, Math.floor(permits));
    this.#waiters = new LaneQueue(backgroundEvery);
  }

  /** Waiters per lane. */
  waiting(): { query: number; foreground: number; background: number } {
    return { query: this.#waiters.depth('query'), foreground: this.#waiters.depth('foreground'), background: this.#waiters.depth('background') };
  }

  async acquire(signal?: AbortSignal, first = false): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#free > 0) this.#free--;
    else {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.#waiters.remove(grant);
          reject(signal!.reason);
        };
        const grant = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const { lane, first: ahead } = laneOf(first, signal);
        this.#waiters.push(grant, lane, ahead);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const [next] = this.#waiters.take(1);
      if (next) next();
      else this.#free++;
    };
  }

  /** `fn` under a permit; `signal` places the wait in its lane and ends it on abort (fn is not stopped once it runs). */
  async use<T>(fn: () => Promise<T>, first = false, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal, first);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
