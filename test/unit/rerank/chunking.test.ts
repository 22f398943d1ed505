/**
 * The chunker of long texts (src/rerank/chunking.ts) with the real bge-small tokenizer: a text within
 * the window is one chunk; a longer one is cut into chunks of whole words, each within the window,
 * covering the text, consecutive chunks sharing at most `overlap` tokens and starting at a paragraph
 * when one begins within the overlap; aggregates and excerpts; and the pipeline setting's validation.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { TextTokenizer } from '../../../src/models/tokenizer.js';
import { aggregateChunks, chunkingKey, chunkSpans, chunkTexts, excerpt, MAX_CHUNKS, resolveChunking, truncateToTokens, type TokenCounter } from '../../../src/rerank/chunking.js';
import { pipelineSchema } from '../../../src/pipelines/schema.js';
import { MODELS } from '../../helpers/paths.js';

let counter: TokenCounter;
beforeAll(async () => {
  const tok = await TextTokenizer.fromFile(join(MODELS, 'bge-small-en-v1.5', 'tokenizer.json'), 512);
  counter = { maxTokens: 512, countTokens: (t) => tok.encode(t).fullLength };
});

const words = (n: number, seed = 0) => Array.from({ length: n }, (_, i) => `word${(i * 7 + seed) % 97}`).join(' ');
const c512 = () => resolveChunking({ overlap: 128, aggregate: 'max' }, 512)!;

it('a text within the window is one chunk (no spans)', () => {
  expect(chunkSpans('A short abstract.', c512(), counter)).toBeUndefined();
  expect(chunkSpans(words(100), c512(), counter)).toBeUndefined();
});

it('a long text: chunks of whole words within the window, covering it, sharing at most the overlap', () => {
  fc.assert(
    fc.property(fc.integer({ min: 300, max: 1500 }), fc.integer({ min: 0, max: 96 }), fc.integer({ min: 0, max: 200 }), (n, seed, overlap) => {
      const text = words(n, seed);
      const c = resolveChunking({ overlap, aggregate: 'max' }, 512)!;
      const spans = chunkSpans(text, c, counter);
      if (counter.countTokens(text) <= 512) return expect(spans).toBeUndefined();
      expect(spans!.length).toBeGreaterThan(1);
      expect(spans![0]!.start).toBe(0);
      expect(spans!.at(-1)!.end).toBe(text.length);
      const texts = chunkTexts(text, spans!, c);
      expect(texts[0]).toBe(text); // chunk 0 is the text as the model cuts it
      spans!.forEach((s, i) => {
        const t = text.slice(s.start, s.end);
        expect(t).toBe(t.trim()); // whole words
        expect(counter.countTokens(t)).toBeLessThanOrEqual(512);
        if (i > 0) {
          const prev = spans![i - 1]!;
          expect(s.start).toBeGreaterThan(prev.start);
          expect(s.start).toBeLessThanOrEqual(prev.end + 1); // no gap
          const shared = prev.end > s.start ? counter.countTokens(text.slice(s.start, prev.end)) - 2 : 0;
          expect(shared).toBeLessThanOrEqual(c.overlap);
        }
      });
    }),
    { numRuns: 25 },
  );
});

it('a chunk starts where a paragraph begins within the overlap', () => {
  // a first paragraph that ends ~60 tokens before the window does
  let n = 10;
  while (counter.countTokens(words(n + 1)) < 450) n++;
  const first = words(n);
  const text = `${first}\n\nThe passage that matters starts here. ${words(300, 5)}`;
  const spans = chunkSpans(text, c512(), counter)!;
  expect(spans[1]!.start).toBe(text.indexOf('The passage that matters'));
});

it('max_tokens below the window: chunk 0 is its own substring', () => {
  const c = resolveChunking({ max_tokens: 128, overlap: 32, aggregate: 'mean' }, 512)!;
  expect(c.firstIsWhole).toBe(false);
  const text = words(400);
  const spans = chunkSpans(text, c, counter)!;
  expect(spans.length).toBeGreaterThan(3);
  const texts = chunkTexts(text, spans, c);
  expect(texts[0]).toBe(text.slice(0, spans[0]!.end));
  for (const t of texts) expect(counter.countTokens(t)).toBeLessThanOrEqual(128);
});

it('aggregates and the best chunk; excerpts quote the chunk', () => {
  expect(aggregateChunks([0.2, 0.6, 0.4], 'max')).toEqual({ raw: 0.6, best: 1 });
  expect(aggregateChunks([0.2, 0.6, 0.4], 'mean').raw).toBeCloseTo(0.4, 9);
  expect(aggregateChunks([0.2, 0.6, 0.4], 'max_mean').raw).toBeCloseTo(0.5, 9);
  const text = `${'x '.repeat(10)}${words(80)}`;
  const e = excerpt(text, { start: 20, end: text.length }, 60);
  expect(e.endsWith('…')).toBe(true);
  expect(text.slice(20)).toContain(e.slice(0, -1));
});

it('the pipeline setting: true takes the defaults, false turns it off, a bad value names the key', () => {
  const base = { index_patterns: ['kb-*'], fields: { text: ['text'] } };
  expect(pipelineSchema.parse({ ...base, scorer: { chunking: true } }).scorer.chunking).toEqual({ overlap: 128, aggregate: 'max' });
  expect(pipelineSchema.parse({ ...base, scorer: { chunking: false } }).scorer.chunking).toBe(false);
  const bad = pipelineSchema.safeParse({ ...base, scorer: { chunking: { aggregate: 'median' } } });
  expect(bad.success).toBe(false);
  expect(bad.error!.issues[0]!.path.join('.')).toContain('scorer.chunking');
});

it("truncateToTokens (Cohere's max_tokens_per_doc): the longest word prefix within the cap, the text itself when it fits or the cap is the window", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 3, max: 600 }), (n, cap) => {
      const text = words(n);
      const cut = truncateToTokens(text, cap, counter, 1 << 20);
      if (cap >= 512 || counter.countTokens(text) <= cap) {
        expect(cut).toBe(text);
        return;
      }
      expect(text.startsWith(cut)).toBe(true);
      // within the cap (a first word longer than the cap stays whole: the model cuts it), and one more word would not be
      expect(counter.countTokens(cut) <= cap || !cut.includes(' ')).toBe(true);
      const next = text.slice(0, text.indexOf(' ', cut.length + 1) < 0 ? text.length : text.indexOf(' ', cut.length + 1));
      expect(counter.countTokens(next)).toBeGreaterThan(cap);
    }),
    { numRuns: 150 },
  );
  // only the prefix it is given is read
  const long = words(5000);
  const cut = truncateToTokens(long, 500, counter, 300);
  expect(cut.length).toBeLessThanOrEqual(300);
  expect(long.startsWith(cut)).toBe(true);
});

it('max_chunks bounds the chunks of a text; the record key names it only when it is not the default', () => {
  const long = words(20_000);
  expect(chunkSpans(long, c512(), counter)!.length).toBe(MAX_CHUNKS);
  const four = resolveChunking({ overlap: 128, aggregate: 'max', max_chunks: 4 }, 512)!;
  const spans = chunkSpans(long, four, counter)!;
  expect(spans.length).toBe(4);
  // the first 4 of the default's: the same text read to an earlier point
  expect(spans).toEqual(chunkSpans(long, c512(), counter)!.slice(0, 4));
  // records written with the default keep the key they had before the bound existed
  expect(chunkingKey(c512())).toEqual({ max_tokens: 512, overlap: 128 });
  expect(chunkingKey(four)).toEqual({ max_tokens: 512, overlap: 128, max_chunks: 4 });
  expect(pipelineSchema.safeParse({ name: 'x', index_patterns: ['x'], fields: { text: ['t'] }, scorer: { chunking: { max_chunks: 0 } } }).success).toBe(false);
  expect(pipelineSchema.safeParse({ name: 'x', index_patterns: ['x'], fields: { text: ['t'] }, scorer: { chunking: { max_chunks: 257 } } }).success).toBe(false);
  expect(pipelineSchema.safeParse({ name: 'x', index_patterns: ['x'], fields: { text: ['t'] }, scorer: { chunking: { max_chunks: 4 } } }).success).toBe(true);
});
