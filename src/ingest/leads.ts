/**
 * The lead documents of a `_bulk` under a time budget (pipelines.bulkBudgetMs, bulk.ts): the body's
 * first documents to embed (as many as it embeds at once). Their work always starts, even when the
 * budget has already run out, so that every try moves on. The first was never deferred — each try
 * stored it — so a body led by a long video answered only once that video was done (held-out probe
 * round 22d: 46 s for a 2-hour video, past the Python client's 10 s and the JS client's 30 s
 * time-outs). Now a lead is deferred at the budget like the others (a per-item 429 the bulk helpers
 * send again) while its work goes on in the background; this memo remembers it, by its index,
 * action and source bytes (a retry sends the same). Sent again while that work runs, it is deferred
 * at once (no second run) and the documents after it may lead; sent again once that work has
 * ended, it is **not** deferred: it is stored at once from the work done (the features it made are
 * cached). So each try stores the documents whose work an earlier try began and finished, and
 * begins the work of more — never a try that only waits past the budget, never a document
 * deferred for ever. Bounded (LEADS_KEPT); a lead forgotten is only deferred once more. Knows
 * nothing about HTTP.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Leads remembered at once (a key is 40 hex characters). */
export const LEADS_KEPT = 4096;

/** Key → true once the work of a deferred run of that lead has ended, false while it runs. */
const leads = new LRUCache<string, boolean>({ max: LEADS_KEPT });

export interface Lead {
  /**
   * `new`: this document leads — its work starts now, deferred only at the budget; `running`: an
   * earlier deferred run of it is still at work — deferred at once, no second run; `done`: that
   * run has ended — stored now from what it made. Only `new` ones count among the body's leads.
   */
  readonly state: 'new' | 'running' | 'done';
  /** Watch this run's work: deferred (`deferred()` at its end), it is remembered as done; stored, forgotten. */
  follow(work: Promise<unknown>, deferred: () => boolean): void;
}

export function leadOf(index: string | undefined, action: string | undefined, source: Buffer): Lead {
  const key = createHash('sha1').update(`${index ?? ''}\0${action ?? ''}\0`).update(source).digest('hex');
  const kept = leads.get(key);
  return {
    state: kept === undefined ? 'new' : kept ? 'done' : 'running',
    follow(work, deferred) {
      if (kept === undefined) leads.set(key, false);
      const end = () => void (deferred() ? leads.set(key, true) : leads.delete(key));
      work.then(end, end);
    },
  };
}
