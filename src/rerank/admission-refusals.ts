/**
 * When admission (admission.ts) refuses a request: the queue's bounds — requests waiting,
 * documents of work waiting, one client's share —, an estimated wait past maxQueueWaitMs, and the
 * latency target. Each refusal is a VLR_OVERLOADED (429) whose words name the setting, with a
 * `retry_after_s`, counted per reason (health's `shed`).
 *
 * Latency target (`latencyFactor`, off by default), in two parts. What runs: the number of
 * requests let run at once adapts (AIMD, service-times.ts) so that a run takes at most about
 * latencyFactor × its idle-server time — concurrency that only slows every request down is given
 * up. What waits: a request that cannot start is queued only while its predicted completion — the
 * idle-server time of the work ahead of it (half of what runs, all of what waits) plus its own —
 * stays within latencyFactor × its own idle-server time. Idle-server times are kept
 * per document of work and per kind of work (a pipeline's searches, the rerank API), from runs that
 * had nothing else in flight (service-times.ts). Admitted requests so keep close to their idle
 * latency, and the rest are told at once to come back (429 + Retry-After) instead of sharing the
 * CPU until all are slow (issue 13: admitted p99 under load ≤ 2× the p50 at low load); a burst of a
 * few requests (an `_msearch`) still runs. An idle server always admits.
 *
 * Rules and estimates only: the queue itself (who waits, who runs, permits, timers) is
 * admission.ts's, which hands these a view of it.
 */
import { refusalError, type VlrerankError } from '../errors.js';
import type { AdmissionLimits, ShedReason } from './admission-limits.js';
import type { ServiceTimes, Work, WorkTally } from './service-times.js';

/** What the rules read of the queue at the moment they are asked. */
export interface QueueView {
  /** Requests waiting: queued, and holding a place while the models warm up. */
  waiting: number;
  /** Documents of work waiting. */
  queuedDocs: number;
  /** The work waiting, per kind and unit (service-times.ts). */
  queuedWork: WorkTally;
  /** Each request running: its kind, its work, and how long it has run (ms). */
  running: Iterable<{ kind: string; work: Work; ranMs: number }>;
  /** Requests the asking client has waiting. */
  clientWaiting: number;
  inFlight: number;
  inFlightDocs: number;
  /** Requests that may run at once now (the latency target adapts it). */
  maxInFlight: number;
  /** A request of one document could start at once. */
  canStartOne: boolean;
  /** Idle-server ms of the requests running, and of those queued. */
  inFlightExpected: number;
  queuedExpected: number;
}

export class Refusals {
  /** Refusals so far, per reason. */
  readonly counts: Record<ShedReason, number> = { queue_full: 0, documents_full: 0, client_share: 0, budget: 0, wait_estimate: 0, wait_timeout: 0, latency_target: 0 };

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly times: ServiceTimes,
    /** The queue now, as seen by `client` (default: the anonymous client). */
    private readonly view: (client?: string) => QueueView,
    private readonly onShed?: (reason: ShedReason) => void,
  ) {}

  /**
   * The wait a request arriving now would see: the work ahead of it (queued, and half of what
   * runs) at the measured service times of its kinds and units — texts, visual items
   * (service-times.ts `loadedMs`) —, spread over the slots. Service times measured while k
   * requests share the CPU already carry that sharing, so their sum ÷ k is the drain time of what
   * is ahead. (Round adm27: one ms per document for all work let photo calls queue behind photo
   * work as if it were text, and be refused after 10–30 s in the queue.)
   */
  waitMs(): number {
    const q = this.view();
    if (this.times.loaded() === undefined || q.canStartOne) return 0;
    return (this.times.loadedMs(q.queuedWork) + this.#runningLeftMs(q)) / q.maxInFlight;
  }

  /**
   * What is left of the runs under way: half of each one's expected time, or the time it has
   * already run when that is longer — a run past half its estimate says the load grew since the
   * rates were learned (a burst arriving: under bench:load the first photo calls queued behind
   * runs estimated at low load's rates and were refused after maxQueueWaitMs in the queue).
   */
  #runningLeftMs(q: QueueView): number {
    let ms = 0;
    for (const r of q.running) ms += Math.max(this.times.workMs(r.kind, r.work) / 2, r.ranMs);
    return ms;
  }

  /** Seconds a refused client should wait before retrying (≥ 1, HTTP Retry-After). */
  retryAfterSeconds(): number {
    const q = this.view();
    const drain = this.times.loaded() === undefined ? 1000 : (this.times.loadedMs(q.queuedWork) + 2 * this.#runningLeftMs(q)) / q.maxInFlight;
    return Math.min(300, Math.max(1, Math.ceil(drain / 1000)));
  }

  /**
   * The refusal any request from `client` would get now whatever its size (Admission.refuseEarly),
   * or undefined when one might be admitted.
   */
  early(client: string, kind: string): VlrerankError | undefined {
    const full = this.noRoom(client, 1);
    if (full) return full;
    const wait = this.waitMs();
    if (wait > this.limits.maxQueueWaitMs) return this.waitTooLong(wait);
    // the latency target, for a request of the usual size of its kind (the size is not known yet)
    const usual = this.times.typicalCost(kind);
    if (usual !== undefined && this.overTarget(usual, kind)) return this.latency(usual, kind, ' (for a request of the usual size)');
    return undefined;
  }

  /** A refusal for `reason`, counted. */
  refuse(reason: ShedReason, message: string): VlrerankError {
    this.counts[reason]++;
    this.onShed?.(reason);
    return refusalError('VLR_OVERLOADED', `${message}; retry later`, { details: { retry_after_s: this.retryAfterSeconds(), shed_reason: reason } });
  }

  /** The refusal of `client`'s request of `cost` the queue has no room for (requests, documents of work, the client's share); undefined when it has. */
  noRoom(client: string, cost: number): VlrerankError | undefined {
    const L = this.limits;
    const q = this.view(client);
    if (q.waiting >= L.maxQueued) return this.refuse('queue_full', `the rerank queue is full (${q.waiting} requests waiting, rerank.admission.maxQueued)`);
    if (q.queuedDocs + cost > L.maxQueuedDocuments && q.waiting > 0) {
      return this.refuse('documents_full', `the rerank queue holds ${q.queuedDocs} documents of work; ${cost} more exceed rerank.admission.maxQueuedDocuments`);
    }
    const share = Math.max(1, Math.floor(L.maxQueued * L.clientShare));
    if (L.clientShare < 1 && q.clientWaiting >= share) {
      return this.refuse('client_share', `this client already has ${share} rerank requests queued (rerank.admission.clientShare)`);
    }
    return undefined;
  }

  /**
   * Would a request of `cost` finish later than latencyFactor × its idle-server time? Predicted
   * finish: the idle-server time of half the work running and all the work queued, then its own.
   * Off without a measured idle time for its kind, and when nothing runs (an idle server admits).
   */
  overTarget(cost: number, kind: string): boolean {
    const q = this.view();
    if (!(this.limits.latencyFactor > 0) || q.inFlight === 0 || this.times.alone(kind) === undefined) return false;
    const own = this.times.expectedMs(cost, kind);
    return q.inFlightExpected / 2 + q.queuedExpected + own > this.limits.latencyFactor * own;
  }

  /** The refusal of a request over the latency target (`what`: how its size was guessed). */
  latency(cost: number, kind: string, what = ''): VlrerankError {
    const q = this.view();
    const own = this.times.expectedMs(cost, kind);
    const predicted = Math.round(q.inFlightExpected / 2 + q.queuedExpected + own);
    return this.refuse('latency_target', `the rerank work ahead would make this request${what} take about ${predicted} ms, over rerank.admission.latencyFactor (${this.limits.latencyFactor}) × the ${Math.round(own)} ms it takes on an idle server`);
  }

  /** The refusal of a request whose estimated wait is past maxQueueWaitMs. */
  waitTooLong(wait: number): VlrerankError {
    return this.refuse('wait_estimate', `the estimated rerank queue wait (${Math.round(wait)} ms) exceeds rerank.admission.maxQueueWaitMs (${this.limits.maxQueueWaitMs})`);
  }
}
