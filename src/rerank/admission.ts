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
 * because the caller's deadline clock started before it asked. The wait is reckoned from the
 * work ahead in texts and visual items at each kind's learned rates (service-times.ts), so a photo
 * call behind photo work is refused at once rather than after waiting (round adm27).
 *
 * The refusals — the queue's bounds, the estimated wait, the latency target (`latencyFactor`, off
 * by default) — are admission-refusals.ts's rules; this file keeps the queue they look at.
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
import { isVlrerankError, type VlrerankError } from '../errors.js';
import { Refusals, type QueueView } from './admission-refusals.js';
import { AdaptiveLimit, ServiceTimes, textWork, WorkTally, type Work } from './service-times.js';
import { realClock, type AdmissionClock, type AdmissionLimits, type AdmissionRequest, type AdmissionSnapshot, type Permit, type ShedReason, type Waiter } from './admission-limits.js';

export { defaultAdmissionLimits, type AdmissionClock, type AdmissionLimits, type AdmissionRequest, type AdmissionSnapshot, type Permit, type ShedReason } from './admission-limits.js';

export class Admission {
  readonly limits: AdmissionLimits;
  readonly #clock: AdmissionClock;
  readonly #queue: Waiter[] = [];
  readonly #byClient = new Map<string, number>();
  #inFlight = 0;
  #inFlightDocs = 0;
  #queuedDocs = 0;
  /** Requests holding a queue place while the models warm up (holdUntil). */
  #held = 0;
  #admitted = 0;
  #enqueued = 0;
  /** The work queued (warm-up holders included) and running, per kind and unit: the wait estimate reads it (admission-refusals.ts). */
  readonly #queuedWork = new WorkTally();
  /** The requests running: kind, work (resized with the permit), start on the admission clock. */
  readonly #running = new Set<{ kind: string; work: Work; startedAt: number }>();
  /** Service time per document of work: at the current load, and alone (service-times.ts). */
  readonly #times = new ServiceTimes();
  /** Idle-server ms of the requests running, and of those queued. */
  #inFlightExpected = 0;
  #queuedExpected = 0;
  /** Requests let run at once under the latency target (service-times.ts); maxInFlight without one. */
  readonly #slots: AdaptiveLimit;
  /** When a request is refused, in what words, counted per reason (admission-refusals.ts). */
  readonly #refusals: Refusals;

  constructor(limits: AdmissionLimits, options: { clock?: AdmissionClock; onShed?: (reason: ShedReason) => void } = {}) {
    this.limits = Object.freeze({ ...limits, maxInFlight: Math.max(1, Math.floor(limits.maxInFlight)) });
    this.#clock = options.clock ?? realClock;
    this.#slots = new AdaptiveLimit(this.limits.maxInFlight);
    this.#refusals = new Refusals(this.limits, this.#times, (client) => this.#view(client), options.onShed);
  }

  /** The queue as the refusal rules read it, for `client`. */
  #view(client = ''): QueueView {
    return {
      waiting: this.#queue.length + this.#held,
      queuedDocs: this.#queuedDocs,
      queuedWork: this.#queuedWork,
      running: [...this.#running].map((r) => ({ kind: r.kind, work: r.work, ranMs: this.#clock.now() - r.startedAt })),
      clientWaiting: this.#byClient.get(client) ?? 0,
      inFlight: this.#inFlight,
      inFlightDocs: this.#inFlightDocs,
      maxInFlight: this.#maxInFlight(),
      canStartOne: this.#canStart(1),
      inFlightExpected: this.#inFlightExpected,
      queuedExpected: this.#queuedExpected,
    };
  }

  /** Requests that may run at once now: adapted to the latency target when one is set. */
  #maxInFlight(): number {
    return this.limits.latencyFactor > 0 ? this.#slots.value : this.limits.maxInFlight;
  }

  /** The wait a request arriving now would see (ms): the work ahead of it at the measured service times (admission-refusals.ts). */
  estimateWaitMs(): number {
    return this.#refusals.waitMs();
  }

  /** Seconds a refused client should wait before retrying (≥ 1, HTTP Retry-After). */
  retryAfterSeconds(): number {
    return this.#refusals.retryAfterSeconds();
  }

  snapshot(): AdmissionSnapshot {
    return {
      in_flight: this.#inFlight,
      in_flight_documents: this.#inFlightDocs,
      queued: this.#queue.length + this.#held,
      warming: this.#held,
      queued_documents: this.#queuedDocs,
      admitted: this.#admitted,
      enqueued: this.#enqueued,
      shed: { ...this.#refusals.counts },
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
    return this.#refusals.early(client ?? '', kind);
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
    const work = workOf(cost, req.work);
    if (this.#queue.length === 0 && this.#canStart(cost)) return Promise.resolve(this.#start(work, now, now, kind));

    const L = this.limits;
    const full = this.#refusals.noRoom(client, cost);
    if (full) throw full;
    const wait = this.estimateWaitMs();
    if (this.#refusals.overTarget(cost, kind)) throw this.#refusals.latency(cost, kind);
    if (req.deadline !== undefined && now + wait >= req.deadline) {
      throw this.#refusals.refuse('budget', `the estimated rerank queue wait (${Math.round(wait)} ms) exceeds the ${Math.max(0, Math.round(req.deadline - now))} ms left of the budget`);
    }
    if (wait > L.maxQueueWaitMs) throw this.#refusals.waitTooLong(wait);

    return new Promise<Permit>((resolve, reject) => {
      const w: Waiter = { req, cost, work, expected: this.#times.expectedMs(cost, kind), client, enqueuedAt: now, resolve, reject, timer: undefined };
      // a budget ending before maxQueueWaitMs: out of the queue then, 429 (it waited on, then failed 504)
      const untilDeadline = req.deadline !== undefined ? req.deadline - now : Infinity;
      w.timer = this.#clock.setTimeout(() => {
        if (!this.#remove(w)) return;
        if (untilDeadline < L.maxQueueWaitMs) reject(this.#refusals.refuse('budget', `the budget ran out after ${Math.round(untilDeadline)} ms in the rerank queue`));
        else reject(this.#refusals.refuse('wait_timeout', `waited ${L.maxQueueWaitMs} ms in the rerank queue (rerank.admission.maxQueueWaitMs)`));
      }, Math.min(L.maxQueueWaitMs, untilDeadline));
      if (req.signal) {
        const signal = req.signal;
        w.onAbort = () => {
          if (!this.#remove(w)) return;
          // the caller's budget ending while it waits here (a search's own budget timer, which ends at
          // the same instant as the queue's own and may fire first): still admission's refusal, the
          // 429 with Retry-After — not a budget spent reranking (held-out probe round 21b, fix21b)
          const r: unknown = signal.reason;
          const budget = isVlrerankError(r) && r.code === 'VLR_TIMEOUT';
          reject(budget ? this.#refusals.refuse('budget', `the budget ran out after ${Math.round(this.#clock.now() - now)} ms in the rerank queue`) : r);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.#queue.push(w);
      this.#queuedExpected += w.expected;
      this.#enqueued++;
      this.#enter(work, kind, client);
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
      const full = this.#refusals.noRoom(client, cost);
      if (full) throw full;
      const work = textWork(cost);
      this.#held++;
      this.#enter(work, req.kind ?? '', client);
      return new Promise<void>((resolve, reject) => {
        let left = false;
        const leave = (): boolean => {
          if (left) return false;
          left = true;
          this.#held--;
          this.#exit(work, req.kind ?? '', client);
          this.#clock.clearTimeout(timer);
          req.signal?.removeEventListener('abort', onAbort);
          return true;
        };
        const onAbort = () => leave() && reject(req.signal!.reason);
        const timer = this.#clock.setTimeout(() => {
          if (leave()) reject(this.#refusals.refuse('wait_timeout', `waited ${this.limits.maxQueueWaitMs} ms for the models to warm up (rerank.admission.maxQueueWaitMs)`));
        }, this.limits.maxQueueWaitMs);
        req.signal?.addEventListener('abort', onAbort, { once: true });
        const done = () => leave() && resolve();
        ready.then(done, done);
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #enter(work: Work, kind: string, client: string): void {
    this.#queuedDocs += work.cost;
    this.#queuedWork.add(kind, work);
    this.#byClient.set(client, (this.#byClient.get(client) ?? 0) + 1);
  }

  #exit(work: Work, kind: string, client: string): void {
    this.#queuedDocs -= work.cost;
    this.#queuedWork.add(kind, work, -1);
    const n = (this.#byClient.get(client) ?? 1) - 1;
    if (n <= 0) this.#byClient.delete(client);
    else this.#byClient.set(client, n);
  }

  #canStart(cost: number): boolean {
    if (this.#inFlight === 0) return true; // a request larger than every bound still runs, alone
    return this.#inFlight < this.#maxInFlight() && this.#inFlightDocs + cost <= this.limits.maxInFlightDocuments;
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
    this.#exit(w.work, w.req.kind ?? '', w.client);
    this.#clock.clearTimeout(w.timer);
    if (w.onAbort) w.req.signal?.removeEventListener('abort', w.onAbort);
  }

  #start(work: Work, enqueuedAt: number, now: number, kind: string): Permit {
    let cost = work.cost;
    this.#inFlight++;
    const running = { kind, work, startedAt: now };
    this.#running.add(running);
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
        running.work = work = resized(work, c);
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
        this.#times.end(run, took, cost, work);
        const idle = this.#times.alone(kind);
        if (idle) this.#slots.observe(took / cost / idle, this.limits.latencyFactor);
        this.#inFlightExpected -= expected;
        this.#inFlight--;
        this.#inFlightDocs -= cost;
        this.#running.delete(running);
        this.#drain();
      },
    };
  }

  /** Start queued requests in order while they fit (FIFO: a large request is not overtaken for ever). */
  #drain(): void {
    while (this.#queue.length && this.#canStart(this.#queue[0]!.cost)) {
      const w = this.#queue.shift()!;
      this.#left(w);
      w.resolve(this.#start(w.work, w.enqueuedAt, this.#clock.now(), w.req.kind ?? ''));
    }
  }
}

/** A request's work at its admission cost (all texts when it does not say). */
function workOf(cost: number, given: AdmissionRequest['work']): Work {
  return given ? { cost, texts: Math.max(0, given.texts), visual: Math.max(0, given.visual) } : textWork(cost);
}

/** `work` at a new cost (a video's frames known once probed): the documents gained or lost are visual items' when it has any. */
function resized(work: Work, cost: number): Work {
  const visualDocs = work.cost - work.texts;
  if (work.visual <= 0 || visualDocs <= 0) return textWork(cost);
  const perVisual = visualDocs / work.visual;
  return { cost, texts: work.texts, visual: Math.max(0, work.visual + (cost - work.cost) / perVisual) };
}
