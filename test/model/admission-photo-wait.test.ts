/**
 * A photo call that cannot start within its budget is refused at once, not after waiting in the
 * queue (round adm27, issue 13: "everything not admitted answered 429 + Retry-After within 50 ms").
 * Under `bench:load --api-images 4` the 429s to photo calls came after 1–30 s in the queue: the wait
 * estimate was one ms per document of work for all work, which cheap text work (a search reranked
 * from cached vectors) kept low, so a photo call queued behind photo work it could never outwait.
 * Admission now learns ms per text and per visual item per kind of work (service-times.ts) and
 * reckons the wait from the work ahead in those units.
 *
 * Real models and COCO photos, one request at a time: the reranker sees one photo call of 4 photos
 * (its image cost), then many cheap text calls of the same kind (cached vectors), then a long photo
 * call runs and another photo call waits. A third, with a budget of a third of the observed photo
 * call, is refused with `budget` at once — never queued (health's `enqueued` counter) — on the old
 * code it was queued and refused when its budget ran out there. No time is asserted: the budget is
 * taken from the run the test observed.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isVlrerankError } from '../../src/errors.js';
import { DATA } from '../helpers/paths.js';
import { testReranker } from '../helpers/reranker.js';

const DIR = 'coco-captions-mini/images/val2017';
const photos = readdirSync(join(DATA, DIR)).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(DIR, f));
const take = (() => {
  let next = 0;
  return (n: number) => photos.slice(next, (next += n)).map((image) => ({ image }));
})();
const KIND = 'api';

describe('admission: a photo call behind photo work it cannot outwait', { timeout: 600_000 }, () => {
  const r = testReranker({ maxConcurrentRequests: 1 });
  afterAll(() => r.close());

  it('is refused at once with reason budget, never queued', async () => {
    // the models loaded (not part of what is learned as a photo call's cost)
    await r.process({ query: { text: 'warm up' }, documents: [{ text: 'a text' }, ...take(1)] }, { kind: KIND });
    // one photo call of 4 new photos: its time is the image cost admission learns
    const t0 = performance.now();
    await r.process({ query: { text: 'a dog on a couch' }, documents: take(4) }, { kind: KIND });
    const photoMs = performance.now() - t0;
    // cheap text work of the same kind (the same texts: vectors cached), as searches from stored vectors are
    const texts = Array.from({ length: 20 }, (_, i) => ({ text: `a cached passage ${i}` }));
    for (let i = 0; i < 40; i++) await r.process({ query: { text: 'cached query' }, documents: texts }, { kind: KIND });

    const stop = new AbortController();
    const a = r.process({ query: { text: 'people at a market' }, documents: take(12) }, { kind: KIND, signal: stop.signal });
    const b = r.process({ query: { text: 'a train at a station' }, documents: take(4) }, { kind: KIND, signal: stop.signal });
    a.catch(() => undefined);
    b.catch(() => undefined);
    let settledA = false;
    void a.finally(() => (settledA = true)).catch(() => undefined);
    while (r.admission.snapshot().queued < 1 && !settledA) await new Promise((ok) => setTimeout(ok, 5));
    expect(settledA).toBe(false); // the long call still runs, the other waits behind it
    const before = r.admission.snapshot();
    expect(before.queued).toBe(1);
    expect(before.enqueued).toBeGreaterThanOrEqual(1);

    const c = await r.process({ query: { text: 'a plate of food' }, documents: take(4) }, { kind: KIND, budgetMs: Math.max(1, Math.round(photoMs / 3)) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const after = r.admission.snapshot();
    stop.abort(new Error('test done'));
    await Promise.allSettled([a, b]);

    expect(isVlrerankError(c) && c.code).toBe('VLR_OVERLOADED');
    const err = c as { details: Record<string, unknown>; message: string };
    expect(err.details.shed_reason).toBe('budget');
    expect(err.message).toMatch(/estimated rerank queue wait \(\d+ ms\) exceeds the \d+ ms left of the budget/);
    expect(after.enqueued).toBe(before.enqueued); // refused before it waited: it never entered the queue
    expect(after.shed.budget).toBe(before.shed.budget + 1);
  });
});
