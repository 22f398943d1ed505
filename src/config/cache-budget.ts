/**
 * The in-memory feature cache's byte budget (L1, `cache.maxBytes`), sized from the memory limit a
 * container runtime set on this process when the setting is left out (fix15; held-out probe round
 * 14b left it at 256 MiB whatever the limit, and a 512 MiB pod was OOM-killed at its first rerank).
 *
 * The rule (docs/DEPLOYMENT.md "Running in a container"):
 * - `cache.maxBytes` set (file, `VLRERANK_CACHE_MAX_BYTES`, flag): that, always; a warning when it
 *   and the working set do not fit under the limit;
 * - no memory limit (or none known): 256 MiB;
 * - a memory limit L: half of what the models and a rerank's working set (WORKING_SET_BYTES, 768
 *   MiB, probe round 14b's measure for four models) leave, at most 256 MiB and at least 16 MiB —
 *   min(256 MiB, max(16 MiB, (L − 768 MiB) / 2)). The other half is headroom: the cache counts the
 *   feature records' bytes, not the heap they grow, and the working set was measured on one
 *   workload. A limit below the working set plus 16 MiB is warned as before (nothing fits it).
 * Reads the cgroup through cgroup.ts; never throws.
 */
import { cgroupMemoryLimit } from './cgroup.js';

const MiB = 2 ** 20;
/** The budget without a memory limit (and the most a limit sizes it to). */
export const DEFAULT_CACHE_BYTES = 256 * MiB;
/** The least a memory limit sizes it to: below it a cache saves little and the limit is too small anyway. */
export const MIN_CACHE_BYTES = 16 * MiB;
/** What the models and a rerank's working set took beyond the feature cache (probe round 14b: 588 MB after a 40-photo rerank). */
export const WORKING_SET_BYTES = 768 * MiB;

export interface CacheBudget {
  maxBytes: number;
  /** Where the number came from. */
  from: 'setting' | 'memory limit' | 'default';
  /** The cgroup's memory limit in bytes, when there is one. */
  limit?: number;
  /** Said at start when the cache and the working set do not fit under the limit (the kernel's OOM kill gives no word). */
  warning?: string;
}

export function cacheBudget(setting: number | undefined, limit = cgroupMemoryLimit()): CacheBudget {
  const maxBytes = setting ?? (limit === undefined ? DEFAULT_CACHE_BYTES : Math.min(DEFAULT_CACHE_BYTES, Math.max(MIN_CACHE_BYTES, Math.floor((limit - WORKING_SET_BYTES) / 2))));
  const from = setting !== undefined ? 'setting' : limit === undefined ? 'default' : 'memory limit';
  const budget: CacheBudget = { maxBytes, from, ...(limit !== undefined ? { limit } : {}) };
  if (limit !== undefined && limit < maxBytes + WORKING_SET_BYTES) {
    const mib = (n: number) => Math.round(n / MiB);
    const what = from === 'setting' ? `may take ${mib(maxBytes)} MiB (cache.maxBytes, as set)` : `is sized to its least, ${mib(maxBytes)} MiB (cache.maxBytes unset)`;
    const fix = from === 'setting' ? 'raise the limit or lower VLRERANK_CACHE_MAX_BYTES (or leave it unset: sized from the limit)' : `raise the limit to at least ${mib(WORKING_SET_BYTES + 2 * MIN_CACHE_BYTES)} MiB`;
    budget.warning = `the memory limit (cgroup) is ${mib(limit)} MiB: the in-memory feature cache ${what} and the models with a rerank's working set about ${mib(WORKING_SET_BYTES)} MiB more — past the limit the kernel kills the process without a word (OOMKilled); ${fix}`;
  }
  return budget;
}
