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
 *
 * A `_bulk`'s items teach it too (`learnFromBulk`): an item the engine refused for its index — a 403, or
 * an index block's 429 (the flood stage's `cluster_block_exception`) — and the next `_bulk` items for
 * that index are sent as received; before (held-out probe round 29d, left) each refused `_bulk`
 * computed its new photos' vectors and records first. Such an item stored after all (the block lifted
 * within the memo's time) forgets it, and says it was stored without its vectors.
 */
import { LRUCache } from 'lru-cache';
import { credentialsKey } from '../engine/targets.js';
import { REFUSED_MS } from './write-back.js';
import { bulkAnswer, slotOf } from './bulk-report.js';
import type { BulkReport } from './bulk-line.js';

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

  /**
   * The engine's answer to a `_bulk` (its text): each index of `report.targets` an item was refused
   * for (a 403; a 429 `cluster_block_exception`) is remembered, one an item was stored in forgets it.
   * An item sent as received for the memo and stored after all gets its failure in `report` (no vectors).
   */
  learnFromBulk(headers: readonly string[], report: BulkReport, text: string): void {
    if (!report.targets?.size) return;
    // `"errors": false` (the answer's head, on both engines): every item stored, so the common answer
    // is not parsed a second time (answer() parses it); else each item's status, read from the items
    const status = /^\s*\{[^[]{0,200}?"errors"\s*:\s*false/.test(text.slice(0, 256)) ? (): ItemStatus => ({ status: 200 }) : itemStatuses(text, report);
    if (!status) return;
    const outcome = new Map<string, number>(); // index → 200 (an item stored: wins) or 403 (refused)
    for (const [i, index] of report.targets) {
      const r = status(i);
      if (r.status === undefined) continue;
      if (r.status < 300) {
        outcome.set(index, 200);
        if (report.refusedLately?.has(i)) report.failures.set(i, asReceived(index));
      } else if ((r.status === 403 || (r.status === 429 && r.type === 'cluster_block_exception')) && !outcome.has(index)) outcome.set(index, 403);
    }
    for (const [index, status] of outcome) this.note(index, headers, status);
  }
}

/** A `_bulk` item's answer as the memo reads it: its status and its error's type. */
type ItemStatus = { status?: number; type?: unknown };

/** Each `_bulk` item's status and error type by the body line it answers; undefined when the answer has no items. */
function itemStatuses(text: string, report: BulkReport): ((i: number) => ItemStatus) | undefined {
  const items = bulkAnswer<{ status?: unknown; error?: { type?: unknown } }>(text)?.items;
  if (!items) return undefined;
  const slot = slotOf(items as never, report.ids);
  return (i) => {
    const it = items[slot(i)];
    const r = it ? Object.values(it)[0] : undefined;
    return { status: typeof r?.status === 'number' ? r.status : undefined, type: r?.error?.type };
  };
}

/** Why an item sent as received for the memo and stored after all has no vectors. */
function asReceived(index: string): { type: string; reason: string; vlrerank_code: string } {
  return {
    type: 'exception',
    reason: `vectors not added: the document was sent as received (the engine refused writes to [${index}] lately) and stored; \`vlrerank index backfill\` adds them`,
    vlrerank_code: 'VLR_UPSTREAM_ERROR',
  };
}
