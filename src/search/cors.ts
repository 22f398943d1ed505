/**
 * CORS as the engine answers it, for the answers vlrerank builds itself (held-out probe round 14f).
 * A browser page on another origin (Elastic's Search UI, Searchkit, a hand-written `fetch`) reads an
 * answer only if it carries `Access-Control-Allow-Origin` (and `-Credentials` when it sends
 * credentials); without it the browser hides status and body and the UI shows "network error".
 * vlrerank has no CORS policy of its own: the engine's (`http.cors.*` in elasticsearch.yml /
 * opensearch.yml) is the one. Preflights and everything vlrerank forwards carry the engine's own
 * headers; a reranked answer copies them from its first stage (headers.ts), and every such answer
 * teaches this table what the engine answers that origin, so vlrerank's own errors on a search path
 * (400, 413, 429, 502, 503, 504) to the same origin carry the same headers. One table per server,
 * built by the composition root (server/start.ts) and handed to search/ and http/: two servers in one
 * process front two clusters with two CORS policies (it was module state, shared by both: fix15).
 */

/** The engine's CORS headers on an actual (not preflight) answer; `vary: origin` goes with them. */
export const CORS_HEADERS = ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers', 'vary'] as const;

/** Origins remembered, at most (a page's origin is a handful; a flood of made-up ones evicts the oldest). */
const MAX_ORIGINS = 256;

type Headers = Record<string, string | string[] | undefined>;

/** What asking the engine needs: a request on the upstream pool. */
export interface CorsPool {
  request(req: { method: string; path: string; headers?: Record<string, string>; idempotent?: boolean; headersTimeoutMs?: number }): Promise<{ headers: Headers; body: { dump(): Promise<void> } }>;
}

/** What one server learnt of its engine's CORS answers, per origin (or `*`). */
export class CorsTable {
  private readonly byOrigin = new Map<string, Record<string, string>>();

  /** Remember the CORS headers of an engine answer (keyed by the origin it allowed, or `*`). */
  learn(h: Headers): void {
    const allowed = h['access-control-allow-origin'];
    if (typeof allowed !== 'string' || !allowed) return;
    const out: Record<string, string> = {};
    for (const k of CORS_HEADERS) {
      const v = h[k];
      if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    this.remember(allowed, out);
  }

  /** The CORS headers the engine last answered this request's `Origin` with; none for a request without one or an origin never seen allowed. */
  for(origin: string | string[] | undefined): Record<string, string> {
    if (typeof origin !== 'string' || !origin) return {};
    const own = this.byOrigin.get(origin);
    const known = own && Object.keys(own).length ? own : this.byOrigin.get('*');
    return known ? { ...known } : {};
  }

  /**
   * Before vlrerank answers an error of its own to a browser origin it has not seen an engine answer
   * for (a page's first search refused with a 400 or 429): ask the engine once, with a preflight for
   * that origin (unauthenticated by the CORS spec, so a secured cluster answers it too), and remember
   * its answer — an origin the engine does not allow is remembered as such (no headers). The engine
   * unreachable: nothing learnt, as a browser would get nothing from the engine directly either.
   */
  async ask(pool: CorsPool, origin: string | string[] | undefined): Promise<void> {
    if (typeof origin !== 'string' || !origin || this.byOrigin.has(origin) || this.byOrigin.has('*')) return;
    try {
      const res = await pool.request({ method: 'OPTIONS', path: '/', headers: { origin, 'access-control-request-method': 'POST' }, idempotent: true, headersTimeoutMs: 2000 });
      await res.body.dump();
      // an engine allowing `*` is remembered under `*` (for() falls back to it); one not allowing this origin, as such
      if (typeof res.headers['access-control-allow-origin'] === 'string') this.learn(res.headers);
      else this.remember(origin, {});
    } catch {
      /* the engine unreachable: nothing to mirror */
    }
  }

  private remember(key: string, headers: Record<string, string>): void {
    this.byOrigin.delete(key);
    this.byOrigin.set(key, headers);
    if (this.byOrigin.size > MAX_ORIGINS) this.byOrigin.delete(this.byOrigin.keys().next().value!);
  }
}
