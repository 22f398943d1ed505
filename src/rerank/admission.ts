/**
 * Admission control of rerank work: a per-process bound on the rerank requests running and
 * queued, counted both as requests and as documents of work (an image or a video frame weighs
 * more than a text: `cost`), a longest queue wait, and a per-client share of the queue. Work
 * beyond those bounds is refused at once with VLR_OVERLOADED (429) and a `retry_after_s`
 * estimated from recent service times, instead of joining a queue minutes long (issue 13: 200
 * clients on /v1/rerank waited 30 s each, none was told to back off).
 *
 * A request whose estimated queue wait already exceeds what is left of its budget (a reranked
 * search's budget_ms) is shed before it waits; time spent queued counts against that budget
 * because the caller's deadline clock started before it asked.
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
 * Requests that arrive while the models warm up wait for the warm-up holding a place in this same
 * queue (`holdUntil`): counted against maxQueued, maxQueuedDocuments and the client share, refused
 * beyond them, and given up after maxQueueWaitMs — before, they piled up without a bound ahead of
 * admission (issue 13 §1).
 *
 * Used by Reranker.process(), so /v1/rerank, /_vlrerank/rerank, reranked searches and library
 * calls share one bound; passthrough traffic never comes here. Never knows about HTTP; the clock
 * and timers are constructor arguments so the queue can be tested step by step.
 */
import { refusalError, type VlrerankError } from '../errors.js';
import { AdaptiveLimit, ServiceTimes } from './service-times.js';
import { realClock, type AdmissionClock, type AdmissionLimits, type AdmissionRequest, type AdmissionSnapshot, type Permit, type ShedReason, type Waiter } from './admission-limits.js';

export { defaultAdmissionLimits, type AdmissionClock, type AdmissionLimits, type AdmissionRequest, type AdmissionSnapshot, type Permit, type ShedReason } from './admission-limits.js';

export class Admission {
  readonly limits: AdmissionLimits;
  readonly #clock: AdmissionClock;
  readonly #onShed?: (reason: ShedReason) => void;
  readonly #queue: Waiter[] = [];
  readonly #byClient = new Map<string, number>();
  #inFlight = 0;
  #inFlightDocs = 0;
  #queuedDocs = 0;
  /** Requests holding a queue place while the models warm up (holdUntil). */
  #held = 0;
  #admitted = 0;
  readonly #shed: Record<ShedReason, number> = { queue_full: 0, documents_full: 0, client_share: 0, budget: 0, wait_estimate: 0, wait_timeout: 0, latency_target: 0 };
  /** Service time per document of work: at the current load, and alone (service-times.ts). */
  readonly #times = new ServiceTimes();
  /** Idle-server ms of the requests running, and of those queued. */
  #inFlightExpected = 0;
  #queuedExpected = 0;
  /** Requests let run at once under the latency target (service-times.ts); maxInFlight without one. */
  readonly #slots: AdaptiveLimit;

  constructor(limits: AdmissionLimits, options: { clock?: AdmissionClock; onShed?: (reason: ShedReason) => void } = {}) {
    this.limits = Object.freeze({ ...limits, maxInFlight: Math.max(1, Math.floor(limits.maxInFlight)) });
    this.#clock = options.clock ?? realClock;
    this.#onShed = options.onShed;
    this.#slots = new AdaptiveLimit(this.limits.maxInFlight);
  }

  /** Requests that may run at once now: adapted to the latency target when one is set. */
  #maxInFlight(): number {
    return this.limits.latencyFactor > 0 ? this.#slots.value : this.limits.maxInFlight;
  }

  /**
   * The wait a request of `cost` arriving now would see: the documents ahead of it (queued, and
   * half of those running) at the measured service time per document, spread over the slots.
   * Service times measured while k requests share the CPU already carry that sharing, so docs ×
   * ms/doc ÷ k is the drain time of what is ahead.
   */
  estimateWaitMs(): number {
    const perDoc = this.#times.loaded();
    if (perDoc === undefined || this.#canStart(1)) return 0;
    const ahead = this.#queuedDocs + this.#inFlightDocs / 2;
    return (ahead * perDoc) / this.#maxInFlight();
  }

  /** Seconds a refused client should wait before retrying (≥ 1, HTTP Retry-After). */
  retryAfterSeconds(): number {
    const perDoc = this.#times.loaded();
    const drain = perDoc === undefined ? 1000 : ((this.#queuedDocs + this.#inFlightDocs) * perDoc) / this.#maxInFlight();
    return Math.min(300, Math.max(1, Math.ceil(drain / 1000)));
  }

  snapshot(): AdmissionSnapshot {
    return {
      in_flight: this.#inFlight,
      in_flight_documents: this.#inFlightDocs,
      queued: this.#queue.length + this.#held,
      warming: this.#held,
      queued_documents: this.#queuedDocs,
      admitted: this.#admitted,
      shed: { ...this.#shed },
      estimated_wait_ms: Math.round(this.estimateWaitMs()),
      max_in_flight: this.#maxInFlight(),
      limits: this.limits,
    };
  }

  /**
   * The refusal any request from `client` would get now, whatever its size, or undefined when one
   * might be admitted: nothing can start, and the queue (or this client's share of it) is full or
   * its estimated wait is past maxQueueWaitMs. Lets an HTTP route answer 429 before it reads and
   * parses a body it would refuse anyway (the refusal is counted as one). Budget-based shedding
   * depends on the request and stays in acquire().
   */
  refuseEarly(client?: string, kind = ''): VlrerankError | undefined {
    if (this.#queue.length === 0 && this.#held === 0 && this.#canStart(1)) return undefined;
    try {
      this.#checkRoom(1, client ?? '');
    } catch (e) {
      return e as VlrerankError;
    }
    const wait = this.estimateWaitMs();
    if (wait > this.limits.maxQueueWaitMs) return this.#waitRefusal(wait);
    // the latency target, for a request of the usual size of its kind (the size is not known yet)
    const usual = this.#times.typicalCost(kind);
    if (usual !== undefined && this.#overTarget(usual, kind)) return this.#latencyRefusal(usual, kind, ' (for a request of the usual size)');
    return undefined;
  }

  /** A permit at once, a place in the queue, or a rejection with VLR_OVERLOADED. */
  acquire(req: AdmissionRequest): Promise<Permit> {
    try {
      return this.#acquire(req);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #acquire(req: AdmissionRequest): Promise<Permit> {
    req.signal?.throwIfAborted();
    const cost = Math.max(1, Math.ceil(req.cost));
    const client = req.client ?? '';
    const now = this.#clock.now();
    const kind = req.kind ?? '';
    if (this.#queue.length === 0 && this.#canStart(cost)) return Promise.resolve(this.#start(cost, now, now, kind));

    const L = this.limits;
    this.#checkRoom(cost, client);
    const wait = this.estimateWaitMs();
    if (this.#overTarget(cost, kind)) throw this.#latencyRefusal(cost, kind);
    if (req.deadline !== undefined && now + wait >= req.deadline) {
      throw this.#refuse('budget', `the estimated rerank queue wait (${Math.round(wait)} ms) exceeds the ${Math.max(0, Math.round(req.deadline - now))} ms left of the budget`);
    }
    if (wait > L.maxQueueWaitMs) throw this.#waitRefusal(wait);

    return new Promise<Permit>((resolve, reject) => {
      const w: Waiter = { req, cost, expected: this.#times.expectedMs(cost, kind), client, enqueuedAt: now, resolve, reject, timer: undefined };
      // a budget ending before maxQueueWaitMs: out of the queue then, 429 (it waited on, then failed 504)
      const untilDeadline = req.deadline !== undefined ? req.deadline - now : Infinity;
      w.timer = this.#clock.setTimeout(() => {
        if (!this.#remove(w)) return;
        if (untilDeadline < L.maxQueueWaitMs) reject(this.#refuse('budget', `the budget ran out after ${Math.round(untilDeadline)} ms in the rerank queue`));
        else reject(this.#refuse('wait_timeout', `waited ${L.maxQueueWaitMs} ms in the rerank queue (rerank.admission.maxQueueWaitMs)`));
      }, Math.min(L.maxQueueWaitMs, untilDeadline));
      if (req.signal) {
        const signal = req.signal;
        w.onAbort = () => {
          if (this.#remove(w)) reject(signal.reason);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.#queue.push(w);
      this.#queuedExpected += w.expected;
      this.#enter(cost, client);
    });
  }

  /**
   * Wait for `ready` (the model warm-up) holding a place in the queue, so that requests arriving
   * while the models load are bounded like any queued request: refused at once (429) when the
   * queue, its documents or the client's share are full, and after maxQueueWaitMs of waiting
   * (`wait_timeout`). Resolves when `ready` settles, whatever its outcome; rejects with the
   * signal's reason on abort. The caller then asks `acquire()` as usual.
   */
  holdUntil(ready: Promise<unknown>, req: Omit<AdmissionRequest, 'deadline'>): Promise<void> {
    try {
      req.signal?.throwIfAborted();
      const cost = Math.max(1, Math.ceil(req.cost));
      const client = req.client ?? '';
      this.#checkRoom(cost, client);
      this.#held++;
      this.#enter(cost, client);
      return new Promise<void>((resolve, reject) => {
        let left = false;
        const leave = (): boolean => {
          if (left) return false;
          left = true;
          this.#held--;
          this.#exit(cost, client);
          this.#clock.clearTimeout(timer);
          req.signal?.removeEventListener('abort', onAbort);
          return true;
        };
        const onAbort = () => leave() && reject(req.signal!.reason);
        const timer = this.#clock.setTimeout(() => {
          if (leave()) reject(this.#refuse('wait_timeout', `waited ${this.limits.maxQueueWaitMs} ms for the models to warm up (rerank.admission.maxQueueWaitMs)`));
        }, this.limits.maxQueueWaitMs);
        req.signal?.addEventListener('abort', onAbort, { once: true });
        const done = () => leave() && resolve();
        ready.then(done, done);
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Refuse a request the queue has no room for: requests, documents of work, the client's share. */
  #checkRoom(cost: number, client: string): void {
    const L = this.limits;
    const waiting = this.#queue.length + this.#held;
    if (waiting >= L.maxQueued) throw this.#refuse('queue_full', `the rerank queue is full (${waiting} requests waiting, rerank.admission.maxQueued)`);
    if (this.#queuedDocs + cost > L.maxQueuedDocuments && waiting > 0) {
      throw this.#refuse('documents_full', `the rerank queue holds ${this.#queuedDocs} documents of work; ${cost} more exceed rerank.admission.maxQueuedDocuments`);
    }
    const share = Math.max(1, Math.floor(L.maxQueued * L.clientShare));
    if (L.clientShare < 1 && (this.#byClient.get(client) ?? 0) >= share) {
      throw this.#refuse('client_share', `this client already has ${share} rerank requests queued (rerank.admission.clientShare)`);
    }
  }

  /**
   * Would a request of `cost` finish later than latencyFactor × its idle-server time? Predicted
   * finish: the idle-server time of half the work running and all the work queued, then its own.
   * Off without a measured idle time for its kind, and when nothing runs (an idle server admits).
   */
  #overTarget(cost: number, kind: string): boolean {
    if (!(this.limits.latencyFactor > 0) || this.#inFlight === 0 || this.#times.alone(kind) === undefined) return false;
    const own = this.#times.expectedMs(cost, kind);
    return this.#inFlightExpected / 2 + this.#queuedExpected + own > this.limits.latencyFactor * own;
  }

  #latencyRefusal(cost: number, kind: string, what = ''): VlrerankError {
    const own = this.#times.expectedMs(cost, kind);
    const predicted = Math.round(this.#inFlightExpected / 2 + this.#queuedExpected + own);
    return this.#refuse('latency_target', `the rerank work ahead would make this request${what} take about ${predicted} ms, over rerank.admission.latencyFactor (${this.limits.latencyFactor}) × the ${Math.round(own)} ms it takes on an idle server`);
  }

  #waitRefusal(wait: number): VlrerankError {
    return this.#refuse('wait_estimate', `the estimated rerank queue wait (${Math.round(wait)} ms) exceeds rerank.admission.maxQueueWaitMs (${this.limits.maxQueueWaitMs})`);
  }

  #enter(cost: number, client: string): void {
    this.#queuedDocs += cost;
    this.#byClient.set(client, (this.#byClient.get(client) ?? 0) + 1);
  }

  #exit(cost: number, client: string): void {
    this.#queuedDocs -= cost;
    const n = (this.#byClient.get(client) ?? 1) - 1;
    if (n <= 0) this.#byClient.delete(client);
    else this.#byClient.set(client, n);
  }

  #canStart(cost: number): boolean {
    if (this.#inFlight === 0) return true; // a request larger than every bound still runs, alone
    return this.#inFlight < this.#maxInFlight() && this.#inFlightDocs + cost <= this.limits.maxInFlightDocuments;
  }

  #refuse(reason: ShedReason, message: string): VlrerankError {
    this.#shed[reason]++;
    this.#onShed?.(reason);
    return refusalError('VLR_OVERLOADED', `${message}; retry later`, { details: { retry_after_s: this.retryAfterSeconds(), shed_reason: reason } });
  }

  /** Take a waiter out of the queue; false when it already left. */
  #remove(w: Waiter): boolean {
    const i = this.#queue.indexOf(w);
    if (i < 0) return false;
    this.#queue.splice(i, 1);
    this.#left(w);
    return true;
  }

  #left(w: Waiter): void {
    this.#queuedExpected -= w.expected;
    this.#exit(w.cost, w.client);
    this.#clock.clearTimeout(w.timer);
    if (w.onAbort) w.req.signal?.removeEventListener('abort', w.onAbort);
  }

  #start(cost: number, enqueuedAt: number, now: number, kind: string): Permit {
    this.#inFlight++;
    this.#inFlightDocs += cost;
    this.#admitted++;
    const run = this.#times.start(kind);
    let expected = this.#times.expectedMs(cost, kind);
    this.#inFlightExpected += expected;
    let released = false;
    return {
      queuedMs: now - enqueuedAt,
      resize: (next: number) => {
        const c = Math.max(1, Math.ceil(next));
        if (released || c === cost) return;
        const smaller = c < cost;
        this.#inFlightDocs += c - cost;
        cost = c;
        const e = this.#times.expectedMs(cost, kind);
        this.#inFlightExpected += e - expected;
        expected = e;
        if (smaller) this.#drain();
      },
      release: () => {
        if (released) return;
        released = true;
        const took = this.#clock.now() - now;
        this.#times.end(run, took, cost);
        const idle = this.#times.alone(kind);
        if (idle) this.#slots.observe(took / cost / idle, this.limits.latencyFactor);
        this.#inFlightExpected -= expected;
        this.#inFlight--;
        this.#inFlightDocs -= cost;
        this.#drain();
      },
    };
  }

  /** Start queued requests in order while they fit (FIFO: a large request is not overtaken for ever). */
  #drain(): void {
    while (this.#queue.length && this.#canStart(this.#queue[0]!.cost)) {
      const w = this.#queue.shift()!;
      this.#left(w);
      w.resolve(this.#start(w.cost, w.enqueuedAt, this.#clock.now(), w.req.kind ?? ''));
    }
  }
}
