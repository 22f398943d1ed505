/**
 * The vocabulary of admission control (admission.ts): its limits and their defaults from the
 * machine, a request, a permit, the snapshot health shows, the reasons a request is shed, and the
 * clock it runs on.
 */
import type { Work } from './service-times.js';
export interface AdmissionLimits {
  /** Requests running at once. */
  maxInFlight: number;
  /** Documents of work (`cost`) running at once; a single request larger than this still runs alone. */
  maxInFlightDocuments: number;
  /** Requests waiting. */
  maxQueued: number;
  /** Documents of work waiting. */
  maxQueuedDocuments: number;
  /** Longest time a request waits in the queue before it is refused. */
  maxQueueWaitMs: number;
  /** Share (0–1] of the queue one client may hold; 1 turns per-client fairness off. */
  clientShare: number;
  /**
   * Latency target: a request is admitted only while its predicted finish (the idle-server time of
   * the work ahead of it, then its own) stays within this many times its own idle-server time; 0 = off.
   */
  latencyFactor: number;
}

/** Why admission control refused a request (`vlrerank_rerank_shed_total{reason}`: each one's series is there at 0 from the start). */
export const SHED_REASONS = ['queue_full', 'documents_full', 'client_share', 'budget', 'wait_estimate', 'wait_timeout', 'latency_target'] as const;
export type ShedReason = (typeof SHED_REASONS)[number];

export interface AdmissionRequest {
  /** Documents of work (≥ 1). */
  cost: number;
  /** What those documents are: texts and visual items (admission-cost.ts `requestWork`); all texts when not given. */
  work?: { texts: number; visual: number };
  /** Who asks (remote address, a client header); undefined: the anonymous client. */
  client?: string;
  /** The kind of work (a pipeline's searches, the rerank API): service times are kept per kind (service-times.ts). */
  kind?: string;
  /** Absolute deadline on the admission clock; the request is shed when it cannot start before it. */
  deadline?: number;
  signal?: AbortSignal;
}

export interface Permit {
  /** Time spent queued (ms). */
  readonly queuedMs: number;
  /** Give the slot back; the service time feeds the wait estimate. Safe to call more than once. */
  release(): void;
  /**
   * The request turned out to cost `cost` documents of work (a video's frames known once probed):
   * the documents in flight follow, and a smaller cost lets queued requests start. Ignored once released.
   */
  resize(cost: number): void;
}

/** A request waiting in the queue (admission.ts). */
export interface Waiter {
  req: AdmissionRequest;
  cost: number;
  /** Its work as counted in the queue's tally (cost, texts, visual items). */
  work: Work;
  /** Its idle-server time (ms), counted in the work ahead of later requests. */
  expected: number;
  client: string;
  enqueuedAt: number;
  resolve(p: Permit): void;
  reject(e: unknown): void;
  timer: unknown;
  onAbort?: () => void;
}

export interface AdmissionSnapshot {
  in_flight: number;
  in_flight_documents: number;
  /** Requests waiting: in the queue, and for the warm-up (`warming`). */
  queued: number;
  /** Of `queued`, those waiting for the model warm-up. */
  warming: number;
  queued_documents: number;
  admitted: number;
  /** Requests that waited in the queue (whether then admitted or refused), since the start. */
  enqueued: number;
  shed: Record<ShedReason, number>;
  /** Estimated wait of a request arriving now (ms); 0 until a service time was measured. */
  estimated_wait_ms: number;
  /** Requests let run at once now: maxInFlight, or less when the latency target adapted it down. */
  max_in_flight: number;
  limits: AdmissionLimits;
}

export interface AdmissionClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** performance.now() and unref'd timers. */
export const realClock: AdmissionClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The limits a machine gets when the configuration leaves them out, from its core count. */
export function defaultAdmissionLimits(cores: number, given: Partial<AdmissionLimits> & { maxInFlight: number }): AdmissionLimits {
  const c = Math.max(1, cores);
  return {
    maxInFlight: given.maxInFlight,
    maxInFlightDocuments: given.maxInFlightDocuments ?? 256 * c,
    maxQueued: given.maxQueued ?? 8 * c,
    maxQueuedDocuments: given.maxQueuedDocuments ?? 1024 * c,
    maxQueueWaitMs: given.maxQueueWaitMs ?? 10_000,
    clientShare: given.clientShare ?? 0.5,
    latencyFactor: given.latencyFactor ?? 0,
  };
}
