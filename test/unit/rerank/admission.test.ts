/**
 * The rerank admission queue, step by step on a manual clock (no timing): requests start while
 * they fit, queue up to the bounds, are refused past them with VLR_OVERLOADED and a Retry-After,
 * leave the queue on abort or after the longest wait, are shed before waiting when the estimated
 * wait exceeds their budget, and one client cannot hold more than its share of the queue.
 * Requests waiting for the model warm-up hold places in the same queue (holdUntil), so they are
 * bounded by the same limits instead of piling up ahead of admission.
 */
import { describe, expect, it } from 'vitest';
import { Admission, defaultAdmissionLimits, type AdmissionClock, type AdmissionLimits, type Permit } from '../../../src/rerank/admission.js';
import { requestCost } from '../../../src/rerank/reranker.js';
import { validateRerankInput } from '../../../src/rerank/types.js';
import { VlrerankError } from '../../../src/errors.js';

class ManualClock implements AdmissionClock {
  t = 0;
  timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  now() {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number) {
    const id = this.#next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown) {
    this.timers.delete(h as number);
  }
  advance(ms: number) {
    this.t += ms;
    for (const [id, x] of [...this.timers]) {
      if (x.at <= this.t) {
        this.timers.delete(id);
        x.fn();
      }
    }
  }
}

const limits = (o: Partial<AdmissionLimits> = {}): AdmissionLimits => ({
  maxInFlight: 2,
  maxInFlightDocuments: 100,
  maxQueued: 4,
  maxQueuedDocuments: 1000,
  maxQueueWaitMs: 10_000,
  clientShare: 1,
  latencyFactor: 0,
  ...o,
});

/** One request of 10 documents of kind `k` running alone for 100 ms: the kind's idle time becomes 10 ms per document. */
async function idleRun(a: Admission, clock: ManualClock): Promise<void> {
  const p = await a.acquire({ cost: 10, kind: 'k' });
  clock.advance(100);
  p.release();
}

async function overload(p: Promise<unknown>): Promise<VlrerankError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(VlrerankError);
  expect((e as VlrerankError).code).toBe('VLR_OVERLOADED');
  expect((e as VlrerankError).status).toBe(429);
  return e as VlrerankError;
}

/** Settled state of a promise after the microtasks run. */
async function state(p: Promise<unknown>): Promise<'pending' | 'fulfilled' | 'rejected'> {
  let s: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  p.then(
    () => (s = 'fulfilled'),
    () => (s = 'rejected'),
  );
  await new Promise((r) => setImmediate(r));
  return s;
}

describe('rerank admission', () => {
  it('starts while slots are free, queues up to maxQueued, refuses beyond with Retry-After', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits(), { clock });
    const p1 = await a.acquire({ cost: 1 });
    const p2 = await a.acquire({ cost: 1 });
    const queued = [0, 1, 2, 3].map(() => a.acquire({ cost: 1 }));
    expect(a.snapshot()).toMatchObject({ in_flight: 2, queued: 4, queued_documents: 4 });
    const e = await overload(a.acquire({ cost: 1 }));
    expect(e.details.shed_reason).toBe('queue_full');
    expect(e.details.retry_after_s).toBeGreaterThanOrEqual(1);
    expect(a.snapshot().shed.queue_full).toBe(1);
    // a release hands its slot to the head of the queue, in order
    expect(await state(queued[0]!)).toBe('pending');
    p1.release();
    p1.release(); // twice is harmless
    expect(await state(queued[0]!)).toBe('fulfilled');
    expect(await state(queued[1]!)).toBe('pending');
    expect(a.snapshot()).toMatchObject({ in_flight: 2, queued: 3 });
    p2.release();
    expect(await state(queued[1]!)).toBe('fulfilled');
  });

  it('bounds documents in flight and queued; a request larger than every bound still runs alone', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits({ maxInFlightDocuments: 10, maxQueuedDocuments: 15 }), { clock });
    const big = await a.acquire({ cost: 50 }); // alone: runs
    expect(a.snapshot().in_flight_documents).toBe(50);
    const q1 = a.acquire({ cost: 10 });
    expect(await state(q1)).toBe('pending'); // 50 + 10 > 10 documents in flight
    const e = await overload(a.acquire({ cost: 6 })); // 10 + 6 > 15 queued documents
    expect(e.details.shed_reason).toBe('documents_full');
    big.release();
    expect(await state(q1)).toBe('fulfilled');
  });

  it('a waiter whose signal aborts leaves the queue, and one that waits past maxQueueWaitMs is refused', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits({ maxInFlight: 1, maxQueueWaitMs: 500 }), { clock });
    const running = await a.acquire({ cost: 1 });
    const ac = new AbortController();
    const leaving = a.acquire({ cost: 1, signal: ac.signal });
    const waiting = a.acquire({ cost: 1 });
    ac.abort(new Error('client gone'));
    await expect(leaving).rejects.toThrow('client gone');
    expect(a.snapshot().queued).toBe(1);
    clock.advance(499);
    expect(await state(waiting)).toBe('pending');
    clock.advance(1);
    expect((await overload(waiting)).details.shed_reason).toBe('wait_timeout');
    expect(a.snapshot()).toMatchObject({ queued: 0, queued_documents: 0 });
    running.release();
    expect(a.snapshot().in_flight).toBe(0);
  });

  it('a running request resized smaller lets a queued one start; resized after release it changes nothing', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits({ maxInFlight: 2, maxInFlightDocuments: 400 }), { clock });
    const big = await a.acquire({ cost: 385 }); // two clips costed at 32 frames each
    const next = a.acquire({ cost: 193 });
    expect(await state(next)).toBe('pending');
    big.resize(37); // their headers said 3 frames each
    expect(await state(next)).toBe('fulfilled');
    expect(a.snapshot()).toMatchObject({ in_flight: 2, in_flight_documents: 37 + 193, queued: 0 });
    big.release();
    big.resize(1);
    (await next).release();
    expect(a.snapshot()).toMatchObject({ in_flight: 0, in_flight_documents: 0 });
  });

  it('a waiter whose budget ends before maxQueueWaitMs is refused then (429, budget), not run late', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits({ maxInFlight: 1, maxQueueWaitMs: 10_000 }), { clock });
    const running = await a.acquire({ cost: 1 });
    const late = a.acquire({ cost: 1, deadline: 300 });
    clock.advance(299);
    expect(await state(late)).toBe('pending');
    clock.advance(1);
    const e = await overload(late);
    expect(e.details.shed_reason).toBe('budget');
    expect(e.message).toContain('the budget ran out after 300 ms in the rerank queue');
    expect(a.snapshot()).toMatchObject({ queued: 0, queued_documents: 0, shed: { budget: 1 } });
    running.release();
  });

  it('sheds at once a request whose estimated wait exceeds what is left of its budget', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits({ maxInFlight: 1 }), { clock });
    // one measured service time: 10 documents in 1000 ms → 100 ms per document
    const first = await a.acquire({ cost: 10 });
    clock.advance(1000);
    first.release();
    expect(a.snapshot().estimated_wait_ms).toBe(0); // a slot is free
    const running = await a.acquire({ cost: 10 });
    // ahead: half of the 10 running documents → 500 ms
    expect(a.estimateWaitMs()).toBe(500);
    const e = await overload(a.acquire({ cost: 1, deadline: clock.now() + 400 }));
    expect(e.details.shed_reason).toBe('budget');
    const fits = a.acquire({ cost: 1, deadline: clock.now() + 600 });
    expect(await state(fits)).toBe('pending');
    // Retry-After estimates the drain: (1 queued + 10 running) × 100 ms → 2 s rounded up
    expect(a.retryAfterSeconds()).toBe(2);
    running.release();
    const p = (await fits) as Permit;
    expect(p.queuedMs).toBe(0);
  });

  it('refuses an estimated wait beyond maxQueueWaitMs before it waits', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits({ maxInFlight: 1, maxQueueWaitMs: 1000 }), { clock });
    const first = await a.acquire({ cost: 100 });
    clock.advance(5000); // 50 ms per document
    first.release();
    await a.acquire({ cost: 100 }); // running; half of it ahead → 2500 ms
    expect((await overload(a.acquire({ cost: 1 }))).details.shed_reason).toBe('wait_estimate');
  });

  it('reckons the wait from the work ahead in texts and visual items, each at its own kind and rate (round adm27)', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits({ maxInFlight: 1, maxQueueWaitMs: 10_000 }), { clock });
    const learn = async (req: Parameters<Admission['acquire']>[0], ms: number) => {
      const p = await a.acquire(req);
      clock.advance(ms);
      p.release();
    };
    await learn({ cost: 21, kind: 'api' }, 21); // the API's own texts: 1 ms each
    await learn({ cost: 25, work: { texts: 1, visual: 4 }, kind: 'api' }, 4001); // 1 text (1 ms) + 4 photos of 1 s
    for (let i = 0; i < 30; i++) await learn({ cost: 21, kind: 'search' }, 21); // cheap text work: 1 ms per document
    // one photo call runs; another waits: 1 s per photo, not the ~1 ms per document all work averages now
    const running = await a.acquire({ cost: 25, work: { texts: 1, visual: 4 }, kind: 'api' });
    const queued = a.acquire({ cost: 25, work: { texts: 1, visual: 4 }, kind: 'api' });
    expect(a.estimateWaitMs()).toBeCloseTo(4001 + 4001 / 2, 0);
    const e = await overload(a.acquire({ cost: 25, work: { texts: 1, visual: 4 }, kind: 'api', deadline: clock.now() + 3000 }));
    expect(e.details.shed_reason).toBe('budget');
    expect(a.snapshot()).toMatchObject({ queued: 1, enqueued: 1 });
    // a run longer than half its estimate counts at the time it has run: the load grew since the rates were learned
    clock.advance(9000);
    expect(a.estimateWaitMs()).toBeCloseTo(4001 + 9000, 0);
    expect((await overload(a.acquire({ cost: 1, kind: 'api' }))).details.shed_reason).toBe('wait_estimate');
    running.release();
    (await queued).release();
  });

  it('one client cannot hold more than its share of the queue; others still get in', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits({ maxInFlight: 1, maxQueued: 4, clientShare: 0.5 }), { clock });
    await a.acquire({ cost: 1, client: 'greedy' });
    const g1 = a.acquire({ cost: 1, client: 'greedy' });
    const g2 = a.acquire({ cost: 1, client: 'greedy' });
    expect((await overload(a.acquire({ cost: 1, client: 'greedy' }))).details.shed_reason).toBe('client_share');
    const other = a.acquire({ cost: 1, client: 'polite' });
    expect(await state(other)).toBe('pending');
    expect(await state(g1)).toBe('pending');
    expect(await state(g2)).toBe('pending');
    expect(a.snapshot()).toMatchObject({ queued: 3, shed: { client_share: 1 } });
  });

  it('refuseEarly: nothing while a request could start or queue; the refusal any request would get once the queue or the client share is full', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits({ maxInFlight: 1, maxQueued: 2, clientShare: 0.5 }), { clock });
    expect(a.refuseEarly('x')).toBeUndefined(); // free slot
    const running = await a.acquire({ cost: 1, client: 'x' });
    expect(a.refuseEarly('x')).toBeUndefined(); // the queue has room
    const q1 = a.acquire({ cost: 1, client: 'x' });
    const share = a.refuseEarly('x'); // x holds its share (1 of 2)
    expect(share?.details).toMatchObject({ shed_reason: 'client_share', retry_after_s: expect.any(Number) });
    expect(a.refuseEarly('y')).toBeUndefined();
    const q2 = a.acquire({ cost: 1, client: 'y' });
    expect(a.refuseEarly('z')?.details.shed_reason).toBe('queue_full');
    // each early refusal is counted like any other
    expect(a.snapshot().shed).toMatchObject({ client_share: 1, queue_full: 1 });
    running.release();
    (await q1).release();
    (await q2).release();
    expect(a.refuseEarly('z')).toBeUndefined();
  });

  it('refuseEarly: an estimated wait past maxQueueWaitMs; and waiters for the warm-up count as a queue', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits({ maxInFlight: 1, maxQueueWaitMs: 1000 }), { clock });
    const first = await a.acquire({ cost: 100 });
    clock.advance(5000);
    first.release();
    const running = await a.acquire({ cost: 100 });
    expect(a.refuseEarly()?.details.shed_reason).toBe('wait_estimate');
    running.release();

    const w = new Admission(limits({ maxInFlight: 1, maxQueued: 1 }), { clock });
    let ready!: () => void;
    const warm = new Promise<void>((r) => (ready = r));
    const held = w.holdUntil(warm, { cost: 1 });
    expect(w.refuseEarly()?.details.shed_reason).toBe('queue_full');
    ready();
    await held;
    expect(w.refuseEarly()).toBeUndefined();
  });

  it('latency target, what waits: a request that cannot start queues only while the work ahead (half of what runs, all that waits) plus its own stays within latencyFactor × its idle time', async () => {
    const clock = new ManualClock();
    // one slot: every later request must wait
    const one = new Admission(limits({ maxInFlight: 1, latencyFactor: 2 }), { clock });
    await idleRun(one, clock); // alone: 10 ms per document → 100 ms for a request of 10
    const running = await one.acquire({ cost: 10, kind: 'k' }); // nothing ahead: runs
    const queued = one.acquire({ cost: 10, kind: 'k' }); // 50 + 0 + 100 = 150 ≤ 200: waits
    expect(await state(queued)).toBe('pending');
    const e = await overload(one.acquire({ cost: 10, kind: 'k' })); // 50 + 100 + 100 = 250 > 200
    expect(e.details.shed_reason).toBe('latency_target');
    expect(e.message).toMatch(/about 250 ms, over rerank\.admission\.latencyFactor \(2\) × the 100 ms it takes on an idle server/);
    // the early check (size unknown) judges a request of the kind's usual size
    expect(one.refuseEarly(undefined, 'k')?.message).toMatch(/for a request of the usual size/);
    // a larger request amortises the same work ahead: 50 + 100 + 500 ≤ 1000
    const big = one.acquire({ cost: 50, kind: 'k' });
    expect(await state(big)).toBe('pending');
    // a kind with no idle time measured is not judged
    const other = one.acquire({ cost: 10, kind: 'other' });
    expect(await state(other)).toBe('pending');
    expect(one.snapshot().shed.latency_target).toBe(2);
    running.release();
    (await queued).release();
    (await big).release();
    (await other).release();

    // a request that can start is not judged by the prediction: the running bound adapts instead
    const six = new Admission(limits({ maxInFlight: 6, latencyFactor: 2 }), { clock });
    await idleRun(six, clock);
    const burst = [];
    for (let i = 0; i < 6; i++) burst.push(await six.acquire({ cost: 10, kind: 'k' }));
    for (const p of burst) p.release();
    expect(six.snapshot().shed.latency_target).toBe(0);

    // latencyFactor 0: the same state queues instead
    const off = new Admission(limits({ maxInFlight: 1, latencyFactor: 0 }), { clock });
    await idleRun(off, clock);
    await off.acquire({ cost: 10, kind: 'k' });
    expect(await state(off.acquire({ cost: 10, kind: 'k' }))).toBe('pending');
    expect(await state(off.acquire({ cost: 10, kind: 'k' }))).toBe('pending');
  });

  it('latency target, what runs: runs slower than latencyFactor × their idle time shrink the running bound (never below 1); runs within it grow it back to maxInFlight', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits({ maxInFlight: 4, latencyFactor: 2 }), { clock });
    await idleRun(a, clock); // idle: 100 ms for 10 documents
    expect(a.snapshot().max_in_flight).toBe(4);
    // four at once, each taking 8× its idle time: the bound halves at most per run, down to 1
    const four = [];
    for (let i = 0; i < 4; i++) four.push(await a.acquire({ cost: 10, kind: 'k' }));
    clock.advance(800);
    for (const p of four) p.release();
    expect(a.snapshot().max_in_flight).toBe(1);
    // with one running, a second must wait (and is judged by the prediction: 50 + 100 ≤ 200)
    const solo = await a.acquire({ cost: 10, kind: 'k' });
    const waits = a.acquire({ cost: 10, kind: 'k' });
    expect(await state(waits)).toBe('pending');
    clock.advance(100);
    solo.release(); // within the target: the bound grows
    clock.advance(100);
    (await waits).release();
    for (let i = 0; i < 20; i++) await idleRun(a, clock);
    expect(a.snapshot().max_in_flight).toBe(4);
    // without a target the bound is maxInFlight whatever the runs take
    const off = new Admission(limits({ maxInFlight: 4, latencyFactor: 0 }), { clock });
    await idleRun(off, clock);
    const slow = [];
    for (let i = 0; i < 4; i++) slow.push(await off.acquire({ cost: 10, kind: 'k' }));
    clock.advance(800);
    for (const p of slow) p.release();
    expect(off.snapshot().max_in_flight).toBe(4);
  });

  it('defaults are sized from the cores, and a request costs its texts, images and frames', () => {
    expect(defaultAdmissionLimits(2, { maxInFlight: 4 })).toMatchObject({ maxInFlight: 4, maxQueued: 16, maxInFlightDocuments: 512, maxQueuedDocuments: 2048, latencyFactor: 0 });
    expect(defaultAdmissionLimits(8, { maxInFlight: 4, maxQueued: 3 }).maxQueued).toBe(3);
    const req = validateRerankInput({ query: { text: 'q' }, documents: [{ text: 'a' }, { image: 'x.jpg' }, { text: 'b', video: 'v.mp4' }], max_frames: 4 }, { maxDocuments: 10 });
    expect(requestCost(req)).toBe(1 + 1 + 6 + (1 + 6 * 4));
    // reading text from photos costs another image's worth each: the documents' with OCR on for a text query ...
    expect(requestCost(req, { ocr: true })).toBe(1 + 1 + 6 + 6 + (1 + 6 * 4));
    // ... and the query photo's when image_ocr_text is weighted and some document has text to compare with
    const byPhoto = validateRerankInput({ query: { image: 'q.jpg' }, documents: [{ text: 'a' }, { image: 'x.jpg' }] }, { maxDocuments: 10 });
    expect(requestCost(byPhoto)).toBe(6 + 1 + 6);
    expect(requestCost(byPhoto, { weights: { image_ocr_text: 1 } })).toBe(6 + 6 + 1 + 6);
    expect(requestCost(byPhoto, { ocr: true, weights: { image_ocr_text: 1 } })).toBe(6 + 6 + 1 + 6); // documents' OCR is for a text query only
  });

  it('a video whose frame count is known before admission is costed at it; others at their max_frames', () => {
    const req = validateRerankInput({ query: 'q', max_frames: 32, documents: [{ video: 'a.mp4' }, { video: 'b.mp4', fps: 2, max_frames: 8 }, { video: 'c.mp4' }] }, { maxDocuments: 10 });
    const known = new Map([
      ['a.mp4\x001\x0032', 3],
      ['b.mp4\x002\x008', 6],
    ]);
    expect(requestCost(req)).toBe(1 + 6 * 32 + 6 * 8 + 6 * 32);
    expect(requestCost(req, {}, known)).toBe(1 + 6 * 3 + 6 * 6 + 6 * 32);
  });
});

describe('waiting for the warm-up holds a queue place', () => {
  it('bounds warm-up waiters by maxQueued and the client share, lets them through when the warm-up ends', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits({ maxQueued: 3, clientShare: 0.7 }), { clock });
    let warmed!: () => void;
    const warm = new Promise<void>((r) => (warmed = r));
    const w1 = a.holdUntil(warm, { cost: 5, client: 'a' });
    const w2 = a.holdUntil(warm, { cost: 5, client: 'a' });
    expect((await overload(a.holdUntil(warm, { cost: 1, client: 'a' }))).details.shed_reason).toBe('client_share');
    const w3 = a.holdUntil(warm, { cost: 1, client: 'b' });
    expect(a.snapshot()).toMatchObject({ queued: 3, warming: 3, queued_documents: 11, in_flight: 0 });
    // the queue is full of warm-up waiters: a fourth is refused at once with a Retry-After
    const e = await overload(a.holdUntil(warm, { cost: 1, client: 'c' }));
    expect(e.details).toMatchObject({ shed_reason: 'queue_full' });
    expect(e.details.retry_after_s).toBeGreaterThanOrEqual(1);
    // and so is a request asking for a slot meanwhile: warm-up waiters count as queued
    await a.acquire({ cost: 1 }).then((p) => p.release());
    await a.acquire({ cost: 1 });
    await a.acquire({ cost: 1 });
    await overload(a.acquire({ cost: 1, client: 'd' }));
    expect([await state(w1), await state(w2), await state(w3)]).toEqual(['pending', 'pending', 'pending']);
    warmed();
    expect([await state(w1), await state(w2), await state(w3)]).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(a.snapshot()).toMatchObject({ queued: 0, warming: 0, queued_documents: 0 });
  });

  it('gives up after maxQueueWaitMs, leaves on abort, and lets a failed warm-up through', async () => {
    const clock = new ManualClock();
    const a = new Admission(limits({ maxQueueWaitMs: 1000 }), { clock });
    const never = new Promise<void>(() => {});
    const late = a.holdUntil(never, { cost: 1 });
    clock.advance(999);
    expect(await state(late)).toBe('pending');
    clock.advance(1);
    expect((await overload(late)).details.shed_reason).toBe('wait_timeout');
    const ac = new AbortController();
    const leaving = a.holdUntil(never, { cost: 1, signal: ac.signal });
    ac.abort(new Error('client went away'));
    await expect(leaving).rejects.toThrow('client went away');
    await expect(a.holdUntil(Promise.reject(new Error('warm-up failed')), { cost: 1 })).resolves.toBeUndefined();
    expect(a.snapshot()).toMatchObject({ queued: 0, warming: 0, queued_documents: 0, shed: { wait_timeout: 1 } });
    expect(clock.timers.size).toBe(0);
  });
});
