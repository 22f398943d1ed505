/**
 * A counting semaphore: bounds concurrent work (media fetch + decode, ffmpeg processes, the
 * rerank requests of a Reranker) without busy waiting. `acquire()` gives a release function that
 * is safe to call more than once; a waiter whose AbortSignal aborts leaves the line. A waiter that
 * asks `first` goes ahead of every waiter that did not (behind earlier `first` ones): work that
 * finishes something already started (an image decoded, now to be preprocessed) before work that
 * starts something new.
 * Never knows what the work is; imports nothing.
 */
export class Semaphore {
  #free: number;
  readonly #waiters: Array<(() => void) & { first?: boolean }> = [];

  constructor(permits: number) {
    this.#free = Math.max(1, Math.floor(permits));
  }

  async acquire(signal?: AbortSignal, first = false): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#free > 0) this.#free--;
    else {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const i = this.#waiters.indexOf(grant);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(signal!.reason);
        };
        const grant: (() => void) & { first?: boolean } = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        if (!first) this.#waiters.push(grant);
        else {
          grant.first = true;
          const at = this.#waiters.findIndex((w) => !w.first);
          this.#waiters.splice(at < 0 ? this.#waiters.length : at, 0, grant);
        }
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next();
      else this.#free++;
    };
  }

  async use<T>(fn: () => Promise<T>, first = false): Promise<T> {
    const release = await this.acquire(undefined, first);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
