/**
 * Waiting out the engine's 429 on a backfill's requests (a thread pool's queue full: `Retry-After`
 * says when to come back): its `_bulk` writes, its page reads and counts are sent again after the
 * wait, bounded — each wait at most `maxWaitMs`, and after `max` refusals in a row of one request
 * the run stops, naming the refusal (resumable: run again). Before, the first 429 stopped the run
 * (held-out probe round 8a). A request refused with 429 was not executed (the engine rejects it
 * before), so sending it again cannot apply a document twice; backfill writes are conditioned on
 * `_seq_no` besides.
 */
import { retryAfterDelayMs } from '../util/retry-after.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { vlrError } from '../errors.js';
import type { EngineClient, JsonResponse } from './client.js';

export interface RefusalPolicy {
  /** Refusals of one write waited out before the run stops (default 5). */
  max?: number;
  /** Longest single wait in ms, whatever `Retry-After` asks (default 60 000). */
  maxWaitMs?: number;
  /** Told before each wait: for the progress line. */
  onWait?(w: RefusalWait): void;
  signal?: AbortSignal;
}

export interface RefusalWait {
  /** What was refused (`writing feature records into [x]`, `reading [x]`…). */
  what: string;
  waitMs: number;
  /** This refusal's number among the write's refusals in a row (1-based). */
  refusal: number;
  max: number;
  /** The engine's `Retry-After` as sent, if any. */
  retryAfter?: string;
}

export const DEFAULT_MAX_REFUSALS = 5;

/**
 * A 429 that is an index block, not a full queue: the flood-stage `read_only_allow_delete` block
 * answers `cluster_block_exception` with 429 (TOO_MANY_REQUESTS/12), and holds until the disk is
 * freed or the block lifted — waiting it out said "engine busy" for half a minute and then stopped
 * without the engine's reason (held-out probe round 29d). Such a refusal is not waited out: it
 * stops the run at once in the engine's words.
 */
export function isBlockRefusal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'cluster_block_exception';
}
const DEFAULT_MAX_WAIT_MS = 60_000;

/** The wait a `Retry-After` asks (delta-seconds or an HTTP date, read against the answer's `Date`: util/retry-after.ts); without one, 1 s doubling per refusal. Bounded by `maxWaitMs`. */
export function retryAfterMs(header: string | string[] | undefined, refusal: number, maxWaitMs = DEFAULT_MAX_WAIT_MS, now = Date.now(), date?: string | string[]): number {
  return Math.min(retryAfterDelayMs(header, date, now) ?? 1000 * 2 ** Math.max(0, refusal - 1), maxWaitMs);
}

/**
 * Refusal number `refusal` (1-based) of `what`: waits what the engine asks, or throws once past
 * the policy's bound (VLR_UPSTREAM_ERROR, status 429). An abort ends the wait (the write is not sent).
 */
export async function waitOutRefusal(what: string, refusal: number, headers: Record<string, string | string[] | undefined>, policy: RefusalPolicy = {}): Promise<void> {
  const max = policy.max ?? DEFAULT_MAX_REFUSALS;
  const raw = headers['retry-after'];
  const retryAfter = Array.isArray(raw) ? raw[0] : raw;
  if (refusal > max) {
    throw vlrError('VLR_UPSTREAM_ERROR', `${what} was refused by the engine with 429 (too many requests) ${refusal} times in a row${retryAfter ? ` (Retry-After ${retryAfter})` : ''}: stopped after ${max} waits; run again to continue where it stopped`, { status: 429 });
  }
  const waitMs = retryAfterMs(raw, refusal, policy.maxWaitMs, Date.now(), headers.date);
  policy.onWait?.({ what, waitMs, refusal, max, ...(retryAfter ? { retryAfter } : {}) });
  await sleep(waitMs, undefined, { signal: policy.signal });
}

/** `engine.json(…)`, sent again after each 429 it gets as `waitOutRefusal` allows (`what` names it in the message). */
export async function jsonWaitingOut429<T>(engine: Pick<EngineClient, 'json'>, what: string, policy: RefusalPolicy | undefined, ...args: Parameters<EngineClient['json']>): Promise<JsonResponse<T>> {
  for (let refusal = 1; ; refusal++) {
    const r = await engine.json<T>(...args);
    if (r.statusCode !== 429 || isBlockRefusal((r.body as { error?: unknown } | undefined)?.error)) return r;
    await waitOutRefusal(what, refusal, r.headers, policy);
  }
}
