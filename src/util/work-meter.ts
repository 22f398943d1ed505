/**
 * Which request a model run was for: each rerank request runs under its own meter (an
 * AsyncLocalStorage store), an item submitted to a model's batcher carries the meter it was
 * submitted under, and a batch counts one run on each distinct meter among its items. So a
 * request's `usage.model_calls` counts the batches that held its own inputs — not the runs of
 * requests beside it (held-out probe round 27c: it was the global counters' difference over the
 * request's lifetime, so a request whose every feature was cached billed a concurrent one's image
 * runs); a request that waited for a feature another computed counts none. One batch shared by two
 * requests counts on both: their sum can exceed `vlrerank_model_runs_total`, never fall short of it
 * for work done for requests (the server's own — the concept bank, warm-up — runs unmetered).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Model runs by model id. */
export type WorkMeter = Record<string, number>;

/** The meters of the work running now: the innermost last (a meter inside another counts on both). */
const meters = new AsyncLocalStorage<readonly WorkMeter[]>();

/** Run `fn` with `meter` (and any meter around it) counting the model runs of the work it starts. */
export function withMeter<T>(meter: WorkMeter, fn: () => T): T {
  return meters.run([...(meters.getStore() ?? []), meter], fn);
}

/** Run `fn` outside any request's meter (work of the server's own). */
export function unmetered<T>(fn: () => T): T {
  return meters.exit(fn);
}

/** The meters of the work running now, if any. */
export function currentMeter(): readonly WorkMeter[] | undefined {
  return meters.getStore();
}

/** One run of `model` on each distinct meter among `of` (a batch's items' meters). */
export function countRun(model: string, of: Iterable<readonly WorkMeter[] | undefined>): void {
  const seen = new Set<WorkMeter>();
  for (const chain of of) for (const m of chain ?? []) seen.add(m);
  for (const m of seen) m[model] = (m[model] ?? 0) + 1;
}
