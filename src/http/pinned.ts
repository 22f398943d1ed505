/**
 * A room's deps with the pipeline set serving now taken once, for one request: the deps' `pipelines`
 * is a getter on the set a reload replaces (server/start.ts), and a request that read it more than
 * once could see two sets (an `_msearch` planned on one and run on the other, an alias's second
 * detection on the new one). A plain copy per set, made when the set changes — a spread of the
 * getter-bearing object per request cost 4–6 µs (its slow path), this costs a read of the getter.
 */
export function pinPipelines<T extends { readonly pipelines: object }>(deps: T): () => T {
  let from: object | undefined;
  let pinned: T = deps;
  return () => {
    const now = deps.pipelines;
    if (now !== from) {
      pinned = { ...deps, pipelines: now };
      from = now;
    }
    return pinned;
  };
}
