/**
 * One fetch per key across concurrent callers (single flight): the same media URL asked by 12
 * requests at once was fetched 12 times (held-out probe round 8b; the features computed from its
 * bytes were already shared, the fetch was not). A caller arriving while a flight for its key is
 * under way joins it. Each caller waits with its own signal (untilAborted): one caller hanging up
 * stops its own wait and never fails the others'; the flight itself is aborted only when every
 * caller has gone (SharedAbort), and a caller without a signal keeps it alive. A settled flight is
 * forgotten: a later ask fetches again (a URL's content may change; the feature cache, keyed by the
 * bytes' hash, keeps what was computed).
 * Knows nothing about what is fetched; imports only the abort helpers.
 */
import { SharedAbort, untilAborted } from '../../util/abort.js';

interface Flight<T> {
  shared: SharedAbort;
  done: Promise<T>;
}

export class Flights<T> {
  readonly #flights = new Map<string, Flight<T>>();

  /** The flight of `key` joined, or started with `start` (given the flight's own signal). */
  run(key: string, signal: AbortSignal | undefined, start: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.join(key, signal) ?? this.#start(key, signal, start);
  }

  /** The flight of `key` under way, joined by this caller; undefined when there is none. */
  join(key: string, signal: AbortSignal | undefined): Promise<T> | undefined {
    const f = this.#flights.get(key);
    if (!f || signal?.aborted || !f.shared.join(signal)) return undefined;
    return untilAborted(f.done, signal);
  }

  /** Flights under way (health, tests). */
  get size(): number {
    return this.#flights.size;
  }

  #start(key: string, signal: AbortSignal | undefined, start: (signal: AbortSignal) => Promise<T>): Promise<T> {
    signal?.throwIfAborted();
    const shared = new SharedAbort();
    shared.join(signal);
    const flight: Flight<T> = { shared, done: undefined as never };
    flight.done = (async () => {
      try {
        return await start(shared.signal);
      } finally {
        shared.done();
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
      }
    })();
    flight.done.catch(() => undefined);
    this.#flights.set(key, flight);
    return untilAborted(flight.done, signal);
  }
}
