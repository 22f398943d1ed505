/**
 * Writes the engine (or the gateway in front of it) refused an index for given credentials: a 403 —
 * authenticated, not allowed. A tenant may write an index without the right to read its mapping, so
 * vlrerank cannot tell beforehand, and the first refused write still gets its vectors computed; the
 * writes after it with the same credentials to the same index, for REFUSED_MS, are sent as received
 * (no mapping read, no vectors or record computed), so the engine answers its 403 at once — as the
 * record write-back's `refused` outcome is not offered again (write-back.ts). Before (held-out probe
 * round 13a, left) every refused write computed its photos' vectors first. A write that succeeds
 * forgets it (the rights were granted meanwhile), and is completed with its vectors and record by a
 * conditional update before its client is answered (complete-write.ts). Keyed by the path's index and a digest of the
 * credential headers; bounded (keys come from clients).
 */
import { LRUCache } from 'lru-cache';
import { credentialsKey } from '../engine/targets.js';
import { REFUSED_MS } from './write-back.js';

export class RefusedWrites {
  readonly #refused: LRUCache<string, true>;

  constructor(ttlMs = REFUSED_MS) {
    this.#refused = new LRUCache<string, true>({ max: 1024, ttl: ttlMs });
  }

  #key(index: string, headers: readonly string[]): string {
    return `${index}\u0000${credentialsKey(headers)}`;
  }

  /** Did the engine refuse a write to `index` with these credentials lately? */
  has(index: string, headers: readonly string[]): boolean {
    return this.#refused.has(this.#key(index, headers));
  }

  /** The engine's answer to a write: a 403 is remembered, a success forgets. */
  note(index: string, headers: readonly string[], status: number): void {
    if (status === 403) this.#refused.set(this.#key(index, headers), true);
    else if (status < 300 && this.#refused.size) this.#refused.delete(this.#key(index, headers));
  }
}
