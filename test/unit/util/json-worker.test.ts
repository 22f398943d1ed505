/**
 * The JSON worker that parses large bodies off the main thread (issue 13 §2): the value it hands
 * back equals JSON.parse's, long strings rebuilt exactly from their pieces wherever they sit (the
 * root, arrays, nested objects, keys that look like numbers); the same refusals as the main-thread
 * reader (too deep by the same rule as jsonDepth, not JSON, not what its coding says, a
 * decompression bomb); markers; bytes handed back unchanged; a worker that dies fails its
 * request and the next one starts a new worker, while a closed one starts none. `_msearch` NDJSON
 * is split by parseMsearch's rules, its items' lines handed back as the bytes received.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonDepth } from '../../../src/util/json-depth.js';
import { JsonWorker } from '../../../src/util/json-worker.js';
import { sentTokens } from '../../../src/util/json-tokens.js';
import { engineText } from '../../../src/util/wire-text.js';
import { parseMsearch } from '../../../src/search/msearch.js';

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

  it('reads JSON bytes as the main thread does (engineText): a Python client’s encoded lone surrogate kept, in bodies and NDJSON lines', async () => {
    const bytes = Buffer.concat([Buffer.from('{"t":"a'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(' 힣 '), Buffer.from([0xed, 0xb3, 0xa9]), Buffer.from('"}')]);
    expect(engineText(bytes)).toBe('{"t":"a\ud800 힣 \udce9"}');
    const r = await worker.parse(bytes, base);
    expect(r.ok && r.parsed && r.value).toEqual(JSON.parse(engineText(bytes)));
    const nd = await worker.ndjson(Buffer.concat([Buffer.from('{"index":"x"}\n'), bytes, Buffer.from('\n')]), { ...base, markers: [], always: true, giveBack: true });
    expect(nd.ok && nd.parsed && nd.items[0]!.values?.body).toEqual(JSON.parse(engineText(bytes)));
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
    // the fault: a thread lost mid-parse — here a body too large for the heap the thread was given
    const w = new JsonWorker({ resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 } });
    try {
      const big = Buffer.from(JSON.stringify(Array.from({ length: 400_000 }, (_, i) => ({ i, s: `x${i}` }))));
      expect(await w.parse(big, base)).toMatchObject({ ok: false, kind: 'worker' });
      const again = await w.parse(Buffer.from('{"b":2}'), base);
      expect(again.ok && again.parsed && again.value).toEqual({ b: 2 });
    } finally {
      await w.close();
    }
  });

  it('close() ends the thread for good: later bodies fail at once, no thread starts again', async () => {
    const w = new JsonWorker().start();
    const id = w.threadId;
    expect(id).toBeGreaterThan(0);
    expect(await w.parse(Buffer.from('{"a":0}'), base)).toMatchObject({ ok: true }); // the thread is up
    expect(workerThreads()).toContain(id);
    await w.close();
    expect(await w.parse(Buffer.from('{"b":2}'), base)).toMatchObject({ ok: false, kind: 'worker', message: expect.stringContaining('closed') });
    expect(w.start().threadId).toBeUndefined();
    expect(workerThreads()).not.toContain(id);
  });
});

describe('JsonWorker.ndjson (_msearch bodies)', () => {
  const nd = { ...base, always: false, markers: ['vlrerank'], giveBack: true };
  const long = 'q'.repeat(700); // cut out and sent in pieces (cutChars 100, pieceChars 300)

  it('splits as parseMsearch does: values for items with a marker, byte ranges for every item', async () => {
    const lines = ['{"index":"a"}', '{"query":{"match":{"t":"ü"}}}', '', '{"index":"b"}\r', JSON.stringify({ ext: { vlrerank: { query: long } } }), '{}', '{"size":1}'];
    const text = lines.join('\n') + '\n';
    const want = parseMsearch(text);
    const r = await worker.ndjson(Buffer.from(text), nd);
    expect(r).toMatchObject({ ok: true, hasMarker: true, parsed: true });
    if (!(r.ok && r.parsed)) return;
    expect(r.bytes?.toString()).toBe(text); // handed back unchanged, to forward
    expect(r.items.map((it) => [it.headerLine.toString(), it.bodyLine.toString()])).toEqual(want.map((it) => [it.headerLine, it.bodyLine]));
    expect(r.items.map((it) => it.values)).toEqual([undefined, { header: want[1]!.header, body: want[1]!.body }, undefined]);
    const all = await worker.ndjson(Buffer.from(text), { ...nd, always: true });
    expect(all.ok && all.parsed && all.items.map((it) => it.values)).toEqual(want.map((it) => ({ header: it.header, body: it.body })));
  });

  it('a gzip body is split in its decoded bytes; no marker and not always: not parsed', async () => {
    const text = `{}\n${JSON.stringify({ ext: { vlrerank: { query: long } } })}\n`;
    const r = await worker.ndjson(gzipSync(Buffer.from(text)), { ...nd, coding: 'gzip' });
    expect(r.ok && r.parsed && r.items.map((it) => [it.headerLine.toString(), it.bodyLine.toString(), it.values?.body])).toEqual([['{}', text.split('\n')[1], JSON.parse(text.split('\n')[1]!)]]);
    expect(await worker.ndjson(Buffer.from('{}\n{"size":1}\n'), nd)).toMatchObject({ ok: true, hasMarker: false, parsed: false });
  });

  it.each([
    { name: 'a line that is not JSON', text: '{}\n{"vlrerank":\n', kind: 'syntax' },
    { name: 'a header that is not an object', text: '[]\n{"vlrerank":1}\n', kind: 'syntax' },
    { name: 'a header without a body', text: '{"vlrerank":1}\n\n{}\n', kind: 'syntax' },
    { name: 'nested too deep', text: `{}\n{"vlrerank":${'['.repeat(1001)}${']'.repeat(1001)}}\n`, kind: 'deep' },
  ])('$name → $kind, as parseMsearch and jsonDepth say', async ({ text, kind }) => {
    if (kind === 'syntax') expect(() => parseMsearch(text)).toThrow();
    else expect(jsonDepth(text, 1000)).toBeGreaterThan(1000);
    expect(await worker.ndjson(Buffer.from(text), nd)).toMatchObject({ ok: false, kind });
  });
});

/** Thread ids of this process's worker threads (the diagnostic report lists each one). */
function workerThreads(): number[] {
  const report = process.report.getReport() as unknown as { workers: Array<{ header: { threadId: number } }> };
  return report.workers.map((w) => w.header.threadId);
}

describe('JsonWorker.parse with tokens', () => {
  /** Token spellings that print back as sent and that do not (a long past 2^53, `-0.0`, `1.0`, escapes, a lone surrogate). */
  const spellings = ['1234567890123456789', '-1234567890123456789', '-0.0', '1.0', '1E-7', '2.50', '3', '-0', '0.1', '"\\u00e9"', '"\\ud800"', '"a\\/b"', '"\\n"', '"plain"', 'true', 'null', '"é"'];
  const text: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(...spellings),
      fc.array(tie('v'), { maxLength: 4 }).map((xs) => `[${xs.join(', ')}]`),
      fc.array(fc.tuple(fc.constantFrom('a', 'b', '\\u0061', 'é', 'n'), tie('v')), { maxLength: 4 }).map((kv) => `{${kv.map(([k, v]) => `"${k}" : ${v}`).join(',\n ')}}`),
    ),
  })).v;

  it('finds the tokens util/json-tokens.ts sentTokens finds (the same rules, repeated in the worker source)', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (t) => {
        const r = await worker.parse(Buffer.from(t), { ...base, tokens: true });
        expect(r.ok && r.parsed).toBe(true);
        expect(r.ok && r.parsed ? r.tokens : 'not parsed').toEqual(sentTokens(t));
      }),
      { numRuns: 300 },
    );
  });
});
