/**
 * Work gathered under keys and handed over together: `delayMs` after the first item, at once when
 * `max` items wait, or when flush() asks. A key added again replaces its item and moves it last (a
 * later write of one key wins). The timer is unref'd: whoever owns the batch flushes it on close.
 */
export class DelayedBatch<V> {
  readonly #items = new Map<string, V>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly max: number,
    private readonly run: (batch: [string, V][]) => void,
  ) {}

  add(key: string, value: V): void {
    this.#items.delete(key);
    this.#items.set(key, value);
    if (this.#items.size >= this.max) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.delayMs).unref();
  }

  get(key: string): V | undefined {
    return this.#items.get(key);
  }

  /** Replace a waiting item in place (its position kept), or drop it with `undefined`. */
  replace(key: string, value: V | undefined): void {
    if (value === undefined) this.#items.delete(key);
    else if (this.#items.has(key)) this.#items.set(key, value);
  }

  /** Hand every waiting item to `run` now (nothing when none waits). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#items.size === 0) return;
    const batch = [...this.#items];
    this.#items.clear();
    this.run(batch);
  }
}
