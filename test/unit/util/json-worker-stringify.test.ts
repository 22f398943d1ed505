/**
 * Answers written in the JSON worker (task ld27, issue 13: an answer echoing a 10 MiB document was
 * stringified on the event loop while health waited): above the size bound the worker writes the
 * bytes, below it this thread does, and the bytes are the same either way — `Buffer.from(JSON.stringify(…))`
 * — escapes, non-ASCII, lone surrogates, `?pretty` indentation included. A thread that dies is a
 * `worker` failure (the HTTP layer's 503), never a hang; a value the clone cannot take is written here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { answerSize, JsonWorker } from '../../../src/util/json-worker.js';

const low = new JsonWorker({ answerFromBytes: 1 });
const high = new JsonWorker({ answerFromBytes: 2 ** 40 });
afterAll(async () => {
  await low.close();
  await high.close();
});

const answer = {
  results: [
    { index: 1, relevance_score: 0.8123456789, document: { text: `caf\u00e9 "quoted" \\ back\nline \u{1F600} \ud800 lone ${'long '.repeat(70_000)}` } },
    { index: 0, relevance_score: -0, document: { text: '' } },
  ],
  meta: { api_version: { version: '1' }, n: 1e21, tiny: 5e-324, nothing: null, gone: undefined, t: true },
};

describe('JsonWorker.stringify', () => {
  it('writes the same bytes in the worker (above the bound) as here (below it), compact and indented', async () => {
    for (const indent of [undefined, 2]) {
      const expected = Buffer.from(indent ? JSON.stringify(answer, null, indent) + '\n' : JSON.stringify(answer));
      const before = low.answersOffThread;
      const off = await low.stringify(answer, indent);
      const here = await high.stringify(answer, indent);
      expect(off).toMatchObject({ ok: true, offThread: true });
      expect(here).toMatchObject({ ok: true, offThread: false });
      expect(off.ok && off.bytes.equals(expected)).toBe(true);
      expect(here.ok && here.bytes.equals(expected)).toBe(true);
      expect(low.answersOffThread).toBe(before + 1);
    }
    expect(high.answersOffThread).toBe(0);
  });

  it('the default bound: a small answer stays here, one echoing 300 KiB goes to the worker', async () => {
    const w = new JsonWorker();
    try {
      expect(await w.stringify({ results: [{ index: 0, relevance_score: 0.5 }] })).toMatchObject({ ok: true, offThread: false });
      expect(w.answersOffThread).toBe(0);
      const big = { results: [{ index: 0, document: { text: 'x'.repeat(300 * 1024) } }] };
      const r = await w.stringify(big);
      expect(r).toMatchObject({ ok: true, offThread: true });
      expect(r.ok && r.bytes.equals(Buffer.from(JSON.stringify(big)))).toBe(true);
      expect(w.answersOffThread).toBe(1);
    } finally {
      await w.close();
    }
  });

  it('a value the structured clone cannot take (a function inside) is written here, as JSON writes it', async () => {
    const odd = { a: 1, f: () => 1, s: 'x'.repeat(1000) };
    const r = await low.stringify(odd);
    expect(r).toMatchObject({ ok: true, offThread: false });
    expect(r.ok && r.bytes.toString()).toBe(JSON.stringify(odd));
  });

  it('a worker that dies while writing fails that answer, and the next one is written by a new thread', async () => {
    // the fault: a thread lost mid-write — here an answer too large for the heap the thread was given
    const w = new JsonWorker({ answerFromBytes: 1, resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 } });
    try {
      const big = { hits: Array.from({ length: 400_000 }, (_, i) => ({ i, s: `x${i}` })) };
      expect(await w.stringify(big)).toMatchObject({ ok: false, kind: 'worker' });
      const again = await w.stringify({ b: 2 });
      expect(again.ok && again.bytes.toString()).toBe('{"b":2}');
    } finally {
      await w.close();
    }
  });

  it('a closed worker writes here (a request finishing at shutdown still gets its answer)', async () => {
    const w = new JsonWorker({ answerFromBytes: 1 });
    await w.close();
    expect(await w.stringify({ a: 'b' })).toMatchObject({ ok: true, offThread: false });
  });
});

describe('answerSize', () => {
  it('counts strings by their length and stops at the bound', () => {
    expect(answerSize({ a: 'x'.repeat(100) }, 1e9)).toBeGreaterThanOrEqual(100);
    expect(answerSize({ a: 'x'.repeat(100) }, 1e9)).toBeLessThan(130);
    expect(answerSize({ docs: ['x'.repeat(5000), 'y'.repeat(5000)] }, 1000)).toBe(1000);
    expect(answerSize(Array.from({ length: 10_000 }, (_, i) => i), 1e9)).toBeGreaterThanOrEqual(10_000);
  });
});
