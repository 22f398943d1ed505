/**
 * The lead document of a `_bulk` under a time budget (pipelines.bulkBudgetMs, bulk.ts): the body's
 * first document to embed. Its work always starts, even when the budget has already run out, so
 * that every try moves on. It was never deferred — each try stored it — so a body led by a long
 * video answered only once that video was done (held-out probe round 22d: 46 s for a 2-hour video,
 * past the Python client's 10 s and the JS client's 30 s time-outs). Now it is deferred at the
 * budget like the others (a per-item 429 the bulk helpers send again) while its work goes on in the
 * background; this memo remembers it, by its index, action and source bytes (a retry sends the
 * same), and once that work has ended the lead sent again is **not** deferred: it is stored at
 * once from the work done (the features it made are cached), and the document after it leads. So
 * each try either stores at least one document with its record, or has work under way that the
 * next try finds done — never a try that only waits, never a lead deferred for ever.
 * Bounded (LEADS_KEPT); a lead forgotten is only deferred once more. Knows nothing about HTTP.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Leads remembered at once (a key is 40 hex characters). */
export const LEADS_KEPT = 4096;

/** Key → true once the work of a deferred run of that lead has ended, false while it runs. */
const leads = new LRUCache<string, boolean>({ max: LEADS_KEPT });

export interface Lead {
  /** An earlier run of this document was deferred and its work has ended: store it now. */
  readonly done: boolean;
  /** Watch this run's work: deferred (`deferred()` at its end), it is remembered as done; stored, forgotten. */
  follow(work: Promise<unknown>, deferred: () => boolean): void;
}

export function leadOf(index: string | undefined, action: string | undefined, source: Buffer): Lead {
  const key = createHash('sha1').update(`${index ?? ''}\0${action ?? ''}\0`).update(source).digest('hex');
  const done = leads.get(key) === true;
  return {
    done,
    follow(work, deferred) {
      if (!done) leads.set(key, leads.get(key) ?? false);
      const end = () => void (deferred() ? leads.set(key, true) : leads.delete(key));
      work.then(end, end);
    },
  };
}
