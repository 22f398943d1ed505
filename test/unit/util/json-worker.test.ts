/**
 * The JSON worker that parses large bodies off the main thread (issue 13 §2): the value it hands
 * back equals JSON.parse's, long strings rebuilt exactly from their pieces wherever they sit (the
 * root, arrays, nested objects, keys that look like numbers); the same refusals as the main-thread
 * reader (too deep by the same rule as jsonDepth, not JSON, not what its coding says, a
 * decompression bomb); markers; bytes handed back unchanged; and a worker that dies fails its
 * request and the next one starts a new worker.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonDepth } from '../../../src/util/json-depth.js';
import { JsonWorker } from '../../../src/util/json-worker.js';

const worker = new JsonWorker({ cutChars: 100, pieceChars: 300 }); // small, so strings are cut out, some whole, some in several pieces
afterAll(() => worker.close());
const base = { coding: 'identity' as const, maxBytes: 1 << 24, maxDepth: 1000, always: true };

describe('JsonWorker', () => {
  it('gives back what JSON.parse gives, long strings rebuilt from their pieces', async () => {
    const long = 'β'.repeat(250) + 'a\\"b'.repeat(80) + '😀'.repeat(99); // > 300 characters: several pieces
    const mid = 'x'.repeat(150) + '\u00e9'; // one piece
    const value = { query: long, documents: [long + '1', { text: long, '0': long.slice(3) }, 'short'], nested: { a: [[long, mid]] }, mid, n: 1, t: true, z: null };
    const r = await worker.parse(Buffer.from(JSON.stringify(value)), base);
    expect(r).toMatchObject({ ok: true, parsed: true });
    expect(r.ok && r.parsed && r.value).toEqual(value);
    const root = await worker.parse(Buffer.from(JSON.stringify(long)), base);
    expect(root.ok && root.parsed && root.value).toBe(long);
  });

  it('agrees with JSON.parse on generated values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), fc.string({ minLength: 90, maxLength: 400, unit: 'binary' }), async (v, s) => {
        const value = { v, s, arr: [s, v, s] };
        const r = await worker.parse(Buffer.from(JSON.stringify(value)), base);
        expect(r.ok && r.parsed && r.value).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 60 },
    );
  });

  it('refuses what the main-thread reader refuses, by the same rules', async () => {
    const deep = '['.repeat(1001) + ']'.repeat(1001);
    expect(jsonDepth(deep, 1000)).toBeGreaterThan(1000);
    expect(await worker.parse(Buffer.from(deep), base)).toMatchObject({ ok: false, kind: 'deep' });
    const justDeepEnough = '['.repeat(1000) + ']'.repeat(1000);
    expect(await worker.parse(Buffer.from(justDeepEnough), base)).toMatchObject({ ok: true, parsed: true });
    // brackets inside strings (escaped quotes too) do not count, as in jsonDepth
    const tricky = JSON.stringify({ a: '\\"' + '['.repeat(2000) });
    expect(jsonDepth(tricky, 1000)).toBe(1);
    expect(await worker.parse(Buffer.from(tricky), base)).toMatchObject({ ok: true, parsed: true });
    expect(await worker.parse(Buffer.from('{"a": [1, 2'), base)).toMatchObject({ ok: false, kind: 'syntax' });
    expect(await worker.parse(Buffer.from('not gzip'), { ...base, coding: 'gzip' })).toMatchObject({ ok: false, kind: 'decode' });
    const bomb = gzipSync(Buffer.alloc(4 << 20, 32));
    expect(await worker.parse(bomb, { ...base, coding: 'gzip', maxBytes: 1 << 20 })).toMatchObject({ ok: false, kind: 'too_large' });
    const gz = await worker.parse(gzipSync(Buffer.from('{"a":"x"}')), { ...base, coding: 'gzip' });
    expect(gz.ok && gz.parsed && gz.value).toEqual({ a: 'x' });
  });

  it('parses only when a marker is there (or always), and hands the bytes back unchanged', async () => {
    const body = Buffer.from(JSON.stringify({ query: { match: { t: 'x'.repeat(500) } } }));
    const copy = Buffer.from(body);
    const plain = await worker.parse(body, { ...base, always: false, markers: ['vlrerank'], giveBack: true });
    expect(plain).toMatchObject({ ok: true, hasMarker: false, parsed: false });
    expect(plain.bytes?.equals(copy)).toBe(true);
    const marked = Buffer.from(JSON.stringify({ ext: { vlrerank: { query: 'y'.repeat(500) } } }));
    const r = await worker.parse(marked, { ...base, always: false, markers: ['vlrerank'], giveBack: true });
    expect(r).toMatchObject({ ok: true, hasMarker: true, parsed: true });
    expect(r.ok && r.parsed && r.value).toEqual(JSON.parse(marked.toString()));
  });

  it('a buffer it does not own is copied, never detached', async () => {
    const pooled = Buffer.from('{"a":1}'); // a view into Node's shared Buffer pool
    const r = await worker.parse(pooled, base);
    expect(r.ok && r.parsed && r.value).toEqual({ a: 1 });
    expect(pooled.toString()).toBe('{"a":1}');
  });

  it('a worker that dies fails its request, and the next request starts a new one', async () => {
    const w = new JsonWorker();
    try {
      const first = w.parse(Buffer.from('{"a":1}'), base);
      await w.close(); // the thread ends with the request pending (the fault: a worker lost mid-parse)
      expect(await first).toMatchObject({ ok: false, kind: 'worker' });
      const again = await w.parse(Buffer.from('{"b":2}'), base);
      expect(again.ok && again.parsed && again.value).toEqual({ b: 2 });
    } finally {
      await w.close();
    }
  });
});
