/**
 * How an evaluation run ends early, shared by the runners (proxy and --api) and the CLI. Pure.
 */

/**
 * Why a run ended before its last search: a signal (Ctrl-C, SIGTERM) or the first search that failed
 * (the proxy or the engine gone, a query refused). What was measured until then is kept: every
 * search is one request, and losing a long run's results to its last step is what a user minds most.
 */
export interface EvalStop {
  reason: string;
  /** The signal's name, when the run was interrupted. */
  signal?: string;
  /** The failure that stopped it, when one did. */
  error?: unknown;
  /** Searches done and asked for. */
  done: number;
  total: number;
}

export function stopOf(signal: AbortSignal | undefined, error: unknown, done: number, total: number): EvalStop {
  if (signal?.aborted) return { reason: `interrupted (${String(signal.reason)})`, signal: String(signal.reason), done, total };
  return { reason: (error as Error)?.message ?? String(error), error, done, total };
}

/** The note a partial run's figures carry (summary, JSON and report); `kept` says what was made of the searches done. */
export function stopNote(s: EvalStop, kept = 'the figures cover the searches done'): string {
  return `${s.signal ? `interrupted (${s.signal})` : `stopped by a failed search: ${s.reason}`} after ${s.done} of ${s.total} searches: ${kept}`;
}

/** A stopped run as its JSON output records it (`partial`). */
export interface PartialRun {
  reason: string;
  signal?: string;
  searches: number;
  of: number;
}

export const partialOf = (s: EvalStop): PartialRun => ({ reason: s.reason, ...(s.signal ? { signal: s.signal } : {}), searches: s.done, of: s.total });
