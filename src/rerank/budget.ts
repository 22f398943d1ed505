/**
 * A rerank request's own time budget (`ProcessOptions.budgetMs`; the rerank APIs set it from
 * `rerank.apiBudgetMs` or the `x-vlrerank-budget-ms` header). Held-out probe round 8b: a
 * `/v1/rerank` call had no bound of its own — 40 photo URLs answered after 9 s each took 46 s.
 *
 * The clock starts when process() is called, after any model warm-up it waited for (as a search's
 * budget does); queue time counts against it (admission sheds a request whose wait would pass the
 * deadline, 429). Once it runs, two cut-offs:
 * - the **media cut-off**, `reserveMs` before the deadline (a fifth of what is left when it starts
 *   running, at least 1 s or half of it): every media read,
 *   ffmpeg and image-model run still under way is aborted; a document whose media had not arrived
 *   is scored on what it has and named, like a document whose media failed (VLR_MEDIA_TIMEOUT); the
 *   query's own media not arrived is a 504 (nothing can be scored without it);
 * - the **deadline**: all that is still running (the text model, a remote worker) is aborted and
 *   the request fails with VLR_TIMEOUT (504).
 * Knows nothing about what the work is; imports only the error codes.
 */
import { setMaxListeners } from 'node:events';
import { vlrError, type VlrerankError } from '../errors.js';

/**
 * Time kept after the media cut-off for what follows (ms of `left`, the time left when the request
 * starts running): a fifth of it, and at least 1 s (half of it, when less than 2 s are left). An
 * image-model batch already running cannot be stopped, and the text model's run waits behind it
 * on the inference worker: with a fifth of 1.2 s kept, 6 clips cut off mid-decoding left their
 * last frame batch running past the deadline (a 504 where the clip-less text could be scored).
 */
export function reserveMs(left: number): number {
  return Math.max(left * 0.2, Math.min(1000, left * 0.5));
}

export interface RunBudget {
  /** Aborted at the deadline (reason: VLR_TIMEOUT) or when `parent` aborts. */
  signal: AbortSignal;
  /** Aborted at the media cut-off (reason: VLR_MEDIA_TIMEOUT), at the deadline, or when `parent` aborts. */
  media: AbortSignal;
  /** The deadline's error once it has passed. */
  expired(): VlrerankError | undefined;
  /**
   * Ms left until the media cut-off (at least 1): the budget handed to a remote worker
   * (`x-vlrerank-budget-ms`), so that its answer, its own late media named, arrives while this
   * request still has its reserve to fuse it.
   */
  untilMediaCutoff(): number;
  dispose(): void;
}

/** The two cut-offs of one running request, from `now` to `deadline` (performance.now() clock). */
export function runBudget(parent: AbortSignal | undefined, budgetMs: number, deadline: number, now = performance.now()): RunBudget {
  const whole = new AbortController();
  const media = new AbortController();
  setMaxListeners(0, whole.signal);
  setMaxListeners(0, media.signal); // handed to every document's media read
  let expired: VlrerankError | undefined;
  const left = Math.max(0, deadline - now);
  const onParent = () => {
    whole.abort(parent!.reason);
    media.abort(parent!.reason);
  };
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  const cutoffAt = now + left - reserveMs(left);
  const mediaTimer = setTimeout(() => {
    media.abort(vlrError('VLR_MEDIA_TIMEOUT', `the media did not arrive within the request's budget of ${budgetMs} ms (x-vlrerank-budget-ms, rerank.apiBudgetMs)`));
  }, left - reserveMs(left));
  const timer = setTimeout(() => {
    expired = vlrError('VLR_TIMEOUT', `the rerank request exceeded its budget of ${budgetMs} ms (x-vlrerank-budget-ms, rerank.apiBudgetMs)`);
    whole.abort(expired);
    media.abort(expired);
  }, left);
  return {
    signal: whole.signal,
    media: media.signal,
    expired: () => expired,
    untilMediaCutoff: () => Math.max(1, Math.floor(cutoffAt - performance.now())),
    dispose() {
      clearTimeout(mediaTimer);
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}
