/**
 * Reused float32 buffers for the image models' inputs, shared with the inference worker.
 *
 * Every cold photo needed two fresh float tensors (EfficientNet 0.8 MB, NanoDet 2.1 MB) plus the
 * classifier's stacked batch (0.8 MB a photo), each a new external allocation on the main thread
 * that was transferred away and never came back: with the decoded pixels and the detector's
 * outputs, ~7 MB of external memory per photo started about eleven mark-compacts per cold
 * 50-photo request, and filling a fresh array costs its page faults (DEPLOYMENT.md, cold4).
 * Handing the transferred buffers back was tried in cold3 and changed nothing (each transfer makes
 * a new ArrayBuffer, counted again). Here a buffer is a SharedArrayBuffer that stays on the main
 * thread: the worker gets a view of the same memory with each run (no transfer, no copy on this
 * side; onnxruntime-node refuses shared memory, so the worker copies it into a staging array of its
 * own, reused), and the buffer comes back to the pool when the run has answered.
 *
 * Must never hand out a buffer still in use: `release` is called only by the code that gave the
 * buffer to a run, after that run settled (or once it has been copied into a batch). A buffer that
 * is never released is simply collected. Contents are not cleared: every user writes all of it.
 */

/** Free bytes kept at most (beyond them a released buffer is left to the collector). */
const MAX_FREE_BYTES = 48 * 1024 * 1024;

export class InputPool {
  readonly #free = new Map<number, Float32Array[]>();
  /** Buffers this pool made (only those are taken back). */
  readonly #mine = new WeakSet<SharedArrayBuffer>();
  readonly #maxFree: number;
  #freeBytes = 0;
  #made = 0;
  #reused = 0;

  constructor(maxFreeBytes = MAX_FREE_BYTES) {
    this.#maxFree = maxFreeBytes;
  }

  /** A float32 array of `length` over shared memory, reused when one is free. */
  acquire(length: number): Float32Array {
    const got = this.#free.get(length)?.pop();
    if (got) {
      this.#freeBytes -= got.byteLength;
      this.#reused++;
      return got;
    }
    const sab = new SharedArrayBuffer(length * 4);
    this.#mine.add(sab);
    this.#made++;
    return new Float32Array(sab);
  }

  /** Give a buffer back once nothing reads it any more; anything this pool did not make is ignored. */
  release(a: Float32Array): void {
    if (!(a.buffer instanceof SharedArrayBuffer) || !this.#mine.has(a.buffer) || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) return;
    if (this.#freeBytes + a.byteLength > this.#maxFree) return;
    const list = this.#free.get(a.length) ?? [];
    if (list.includes(a)) return; // released twice: keep one entry, or two acquirers would share it
    list.push(a);
    this.#free.set(a.length, list);
    this.#freeBytes += a.byteLength;
  }

  /** Buffers made and reused so far, and the free bytes held. */
  stats(): { made: number; reused: number; freeBytes: number } {
    return { made: this.#made, reused: this.#reused, freeBytes: this.#freeBytes };
  }
}
