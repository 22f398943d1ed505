/**
 * What every persistent tier under the in-process feature cache is: a named byte store that may
 * fail. Its counters (hits, misses, errors) and state (`ok`, `down`, `failed`) are what
 * `/_vlrerank/health` shows in its `feature_store` section; `onLookup` / `onError` feed the
 * Prometheus counters (`vlrerank_feature_lookups_total{tier,outcome}`,
 * `vlrerank_feature_store_errors_total{tier}`). A tier never throws to its caller: a failure is
 * counted, logged once per change of state, and the lookup goes on as a miss.
 */
export type TierName = 'l1' | 'disk' | 'redis';
export const LOOKUP_OUTCOMES = ['hit', 'miss', 'error'] as const;
export type LookupOutcome = (typeof LOOKUP_OUTCOMES)[number];

/** Where one lookup's part came from, for explanations, usage and tests (`computed`: a model ran). */
export type PartSource = 'l1' | 'disk' | 'redis' | 'computed';

const COST: Record<PartSource, number> = { l1: 0, disk: 1, redis: 2, computed: 3 };

/** The costlier of two sources: what a feature made of several parts (or texts) says it came from. */
export function costlierSource(a: PartSource | undefined, b: PartSource): PartSource {
  return a === undefined || COST[b] > COST[a] ? b : a;
}

/** ok: answering; down: failing now, retried (Redis); failed: given up for this process (disk could not open). */
export type TierState = 'ok' | 'down' | 'failed' | 'off';

export interface TierHooks {
  onLookup?: (tier: TierName, outcome: LookupOutcome) => void;
  onError?: (tier: TierName) => void;
}

export interface TierCounters {
  hits: number;
  misses: number;
  errors: number;
  writes: number;
  /** Values not written because they were larger than the tier's per-value cap. */
  skipped: number;
}

export function newCounters(): TierCounters {
  return { hits: 0, misses: 0, errors: 0, writes: 0, skipped: 0 };
}

export interface TierHealth extends TierCounters {
  state: TierState;
  /** Why the tier is down or failed now (cleared once it answers again). */
  reason?: string;
  /** The last failure and when (ISO time), kept after the tier recovers. */
  last_error?: { reason: string; at: string };
  entries?: number;
  bytes?: number;
  maxBytes?: number;
  /** The disk tier's file on disk (what `maxBytes` bounds, within 1.25×: disk-tier.ts). */
  fileBytes?: number;
}

/** A local file's size, mtime and ctime and the content hash of the copy whose features are kept (known-media.ts), as the disk tier keeps them. */
export interface FileMemo {
  size: number;
  mtimeMs: number;
  /** Absent in an older build's memo (then read again once). */
  ctimeMs?: number;
  contentHash: string;
}

/** A URL's validators and the content hash of the copy whose features are kept (known-media.ts), as the persistent tiers keep them. */
export interface UrlMemo {
  etag?: string;
  lastModified?: string;
  contentHash: string;
}
