/**
 * The remote scorer's pool of workers: which worker takes the next call, and which are out.
 *   - least outstanding requests first (ties in turn), so a slow or busy GPU gets less;
 *   - a circuit breaker per worker: `breakerThreshold` failures in a row open it for
 *     `breakerCooldownMs` (doubling while it keeps failing, up to 60 s); after the cool-down one
 *     trial call is let through (half-open), a success closes it;
 *   - a background probe (`healthIntervalMs`) of open workers: any HTTP answer below 500 from the
 *     worker's origin means it is reachable again (vLLM's /health, or a vlrerank worker's 404 for
 *     that path), which half-opens the breaker at once instead of waiting out the cool-down;
 *   - a 429/503 with `Retry-After` takes the worker out for that long (up to 60 s), probe or not;
 *   - the hedge delay: the `hedgePercentile` of recent call latencies (or a fixed `hedgeAfterMs`),
 *     after which the same call is also sent to another worker.
 * Knows nothing of what is scored; never throws.
 */
import type { Pool } from 'undici';

export interface PoolPolicy {
  breakerThreshold: number;
  breakerCooldownMs: number;
  /** 0 = no hedging; undefined = from the latency percentile. */
  hedgeAfterMs?: number;
  hedgePercentile: number;
  healthIntervalMs: number;
}

export interface RemoteWorker {
  origin: string;
  path: string;
  pool: Pool;
  /** `Basic …` from the URL's credentials, when it has some. */
  authorization?: string;
  outstanding: number;
  /** Consecutive failures. */
  failures: number;
  /** Breaker open until this time (ms epoch); 0 = closed. */
  openUntil: number;
  cooldownMs: number;
  /** A half-open trial call is under way. */
  trial: boolean;
  /** Not before this time (ms epoch), whatever the probe says: the worker's own `Retry-After`. */
  restUntil: number;
  /** Why its last call failed (for health; never holds the API key: remote.ts scrubs it). */
  lastError?: string;
}

export type WorkerState = 'closed' | 'open' | 'half-open';

const MAX_COOLDOWN_MS = 60_000;
const LATENCY_WINDOW = 200;
const MIN_SAMPLES_TO_HEDGE = 20;

export class WorkerPool {
  readonly workers: RemoteWorker[];
  readonly #policy: PoolPolicy;
  readonly #latencies: number[] = [];
  #rr = 0;
  #probe?: NodeJS.Timeout;
  #probing = false;

  constructor(workers: Array<Pick<RemoteWorker, 'origin' | 'path' | 'pool' | 'authorization'>>, policy: PoolPolicy) {
    this.workers = workers.map((w) => ({ ...w, outstanding: 0, failures: 0, openUntil: 0, cooldownMs: policy.breakerCooldownMs, trial: false, restUntil: 0 }));
    this.#policy = policy;
    if (policy.healthIntervalMs > 0) {
      this.#probe = setInterval(() => void this.#probeOpen(), policy.healthIntervalMs);
      this.#probe.unref();
    }
  }

  state(w: RemoteWorker, now = performance.now()): WorkerState {
    if (w.openUntil === 0) return 'closed';
    return now >= w.openUntil ? 'half-open' : 'open';
  }

  /** The next worker for a call, skipping `exclude` and open breakers; undefined when none may take it. */
  pick(exclude: ReadonlySet<RemoteWorker>, now = performance.now()): RemoteWorker | undefined {
    let best: RemoteWorker | undefined;
    const n = this.workers.length;
    const start = this.#rr++ % n;
    for (let k = 0; k < n; k++) {
      const w = this.workers[(start + k) % n]!;
      if (exclude.has(w)) continue;
      const s = this.state(w, now);
      if (s === 'open' || (s === 'half-open' && w.trial)) continue;
      if (!best || w.outstanding < best.outstanding) best = w;
    }
    if (best && this.state(best, now) === 'half-open') best.trial = true;
    return best;
  }

  begin(w: RemoteWorker): void {
    w.outstanding++;
  }

  succeeded(w: RemoteWorker, ms: number): void {
    w.outstanding--;
    w.failures = 0;
    w.openUntil = 0;
    w.trial = false;
    w.cooldownMs = this.#policy.breakerCooldownMs;
    this.#latencies.push(ms);
    if (this.#latencies.length > LATENCY_WINDOW) this.#latencies.shift();
  }

  /** A failure of the worker (not of the request: a 4xx or the caller's abort is `released`). */
  failed(w: RemoteWorker, now = performance.now()): void {
    w.outstanding--;
    w.failures++;
    const wasTrial = w.trial;
    w.trial = false;
    if (wasTrial) {
      w.cooldownMs = Math.min(MAX_COOLDOWN_MS, w.cooldownMs * 2);
      w.openUntil = now + w.cooldownMs;
    } else if (w.failures >= this.#policy.breakerThreshold) {
      w.openUntil = now + w.cooldownMs;
    }
  }

  /**
   * The worker asked to be left alone for `ms` (a 429 or 503 with `Retry-After`): out until then
   * (at most the longest cool-down), not called again before it even when the probe reaches it.
   */
  rest(w: RemoteWorker, ms: number, now = performance.now()): void {
    w.outstanding--;
    w.failures++;
    w.trial = false;
    w.restUntil = now + Math.min(ms, MAX_COOLDOWN_MS);
    w.openUntil = Math.max(w.openUntil, w.restUntil);
  }

  /** The call ended without saying anything about the worker (aborted by the caller, a 4xx). */
  released(w: RemoteWorker): void {
    w.outstanding--;
    w.trial = false;
  }

  /** Milliseconds after which a call is hedged; undefined = do not hedge (yet). */
  hedgeDelay(): number | undefined {
    const fixed = this.#policy.hedgeAfterMs;
    if (fixed !== undefined) return fixed > 0 ? fixed : undefined;
    if (this.workers.length < 2 || this.#latencies.length < MIN_SAMPLES_TO_HEDGE) return undefined;
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(this.#policy.hedgePercentile * sorted.length))];
  }

  /** Milliseconds until the first worker may be called again; undefined when one may be now. */
  soonestBackMs(now = performance.now()): number | undefined {
    let soonest = Infinity;
    for (const w of this.workers) {
      const s = this.state(w, now);
      if (s === 'closed' || (s === 'half-open' && !w.trial)) return undefined;
      if (s === 'open') soonest = Math.min(soonest, w.openUntil - now);
    }
    return soonest === Infinity ? 0 : soonest; // only trials under way: back as soon as one answers
  }

  status(now = performance.now()): Array<{ worker: string; state: WorkerState; outstanding: number; failures: number; retry_in_ms?: number; last_error?: string }> {
    return this.workers.map((w) => {
      const state = this.state(w, now);
      return {
        worker: w.origin,
        state,
        outstanding: w.outstanding,
        failures: w.failures,
        ...(state === 'open' ? { retry_in_ms: w.openUntil - now } : {}),
        ...(w.failures > 0 && w.lastError ? { last_error: w.lastError } : {}),
      };
    });
  }

  async #probeOpen(): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    try {
      await Promise.all(
        this.workers
          .filter((w) => w.openUntil !== 0)
          .map(async (w) => {
            try {
              const res = await w.pool.request({ method: 'GET', path: '/health', signal: AbortSignal.timeout(2_000) });
              await res.body.dump();
              if (res.statusCode < 500 && w.openUntil !== 0) w.openUntil = Math.min(w.openUntil, Math.max(performance.now(), w.restUntil)); // half-open now (or when it asked)
            } catch {
              /* still down */
            }
          }),
      );
    } finally {
      this.#probing = false;
    }
  }

  close(): void {
    if (this.#probe) clearInterval(this.#probe);
  }
}
