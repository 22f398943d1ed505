/**
 * Bad input: too many documents, unknown or invalid fields (400 naming the field), an unreadable
 * image (that document scores 0 with an error in its explanation; the others are ranked), the
 * same with strict (the whole request fails with the media error), a path outside the media roots.
 */
import { afterAll, expect, it } from 'vitest';
import { testReranker } from '../helpers/reranker.js';
import { VlrerankError } from '../../src/errors.js';

const reranker = testReranker({ maxDocuments: 5 });
afterAll(() => reranker.close());
const sk = (n: string) => `skimage-clip-smoke/images/${n}.${n === 'rocket' ? 'jpg' : 'png'}`;
const corrupt = `data:image/png;base64,${Buffer.from('not really a png at all').toString('base64')}`;

async function fails(input: unknown): Promise<VlrerankError> {
  try {
    await reranker.process(input as never);
  } catch (e) {
    expect(e).toBeInstanceOf(VlrerankError);
    return e as VlrerankError;
  }
  throw new Error('expected a failure');
}

it('refuses too many documents, naming the limit', async () => {
  const e = await fails({ query: 'x', documents: ['a', 'b', 'c', 'd', 'e', 'f'] });
  expect(e.status).toBe(400);
  expect(e.message).toMatch(/\[documents\] too many documents: 6 > 5/);
});

it.each([
  [{ query: 'x', documents: [{ text: 'a', colour: 'red' }] }, 'documents[0].colour'],
  [{ query: 'x', documents: [{ video: 'v.mp4', fps: 0 }] }, 'documents[0].fps'],
  [{ query: { text: '' }, documents: ['a'] }, 'query'],
  [{ query: 'x', documents: 'a' }, 'documents'],
  [{ query: 'x', documents: ['a'], top_n: 0 }, 'top_n'],
  [{ documents: ['a'] }, 'query'],
])('400 naming the field for %j', async (input, field) => {
  const e = await fails(input);
  expect(e.status).toBe(400);
  expect(e.type).toBe('illegal_argument_exception');
  expect(e.details.field).toBe(field);
});

it('an unreadable image alone scores 0 with an error; the other documents are ranked', { timeout: 120_000 }, async () => {
  const out = await reranker.process({ query: 'a cup of coffee', documents: [{ image: corrupt }, { image: sk('coffee') }, { image: 'skimage-clip-smoke/images/missing.png' }, { image: '/etc/passwd' }], explain: true });
  expect(out[0]!.index).toBe(1);
  expect(out[0]!.score).toBeGreaterThan(0);
  for (const i of [0, 2, 3]) {
    const r = out.find((x) => x.index === i)!;
    expect(r.score).toBe(0);
    expect(r.explanation!.error).toMatchObject({ code: expect.stringMatching(/^VLR_(MEDIA_|NOT_FOUND)/) });
  }
  expect(out.find((x) => x.index === 0)!.explanation!.error!.code).toBe('VLR_MEDIA_UNSUPPORTED');
  expect(out.find((x) => x.index === 3)!.explanation!.error!.code).toBe('VLR_MEDIA_FORBIDDEN');
  expect(out.errors.map((e) => e.index)).toEqual([0, 2, 3]);
  expect(out.errors[0]).toMatchObject({ code: 'VLR_MEDIA_UNSUPPORTED', type: expect.any(String), reason: expect.any(String) });
});

it('a document whose image cannot be read is still scored on its text', { timeout: 120_000 }, async () => {
  const out = await reranker.process({
    query: 'a cup of coffee',
    documents: [{ text: 'a hot cup of coffee on a saucer', image: 'skimage-clip-smoke/images/missing.png' }, { text: 'a rocket on its launch pad' }],
    explain: true,
  });
  const broken = out.find((x) => x.index === 0)!;
  expect(broken.explanation!.error!.code).toBe('VLR_NOT_FOUND');
  expect(broken.explanation!.signals.map((s) => s.name)).toEqual(['text_text']);
  expect(out.scores[0]).toBeGreaterThan(out.scores[1]!);
  expect(out.errors).toEqual([expect.objectContaining({ index: 0, code: 'VLR_NOT_FOUND' })]);
});

it('strict: an unreadable image fails the whole request with a 4xx naming the document', { timeout: 120_000 }, async () => {
  const e = await fails({ query: 'coffee', documents: [{ image: sk('coffee') }, { image: corrupt }], strict: true });
  expect(e.code).toBe('VLR_MEDIA_UNSUPPORTED');
  expect(e.status).toBeGreaterThanOrEqual(400);
  expect(e.status).toBeLessThan(500);
  expect(e.message).toContain('[documents[1]]');
});

it('an unreadable query image fails the request', { timeout: 120_000 }, async () => {
  const e = await fails({ query: { image: corrupt }, documents: [{ image: sk('coffee') }] });
  expect(e.code).toBe('VLR_MEDIA_UNSUPPORTED');
  expect(e.message).toContain('[query]');
});
