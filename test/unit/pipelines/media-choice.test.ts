/**
 * Which of a document's several photos is scored (src/pipelines/document.ts `chooseMedia`, task fix29):
 * the first of its first three that loads, asked in order, never past the third (a 1,000-path array
 * is not tried whole), nothing asked of a document with one; the photo its record was made from
 * without asking (`mediaLoader`); and the rerank document made with that choice.
 */
import { expect, it } from 'vitest';
import { chooseMedia, DocumentRead, documentFromSource, mediaLoader, MEDIA_CANDIDATES } from '../../../src/pipelines/document.js';
import type { Pipeline } from '../../../src/pipelines/schema.js';

const pipeline = { fields: { text: ['title'], image: ['image'], video: [], text_separator: '\n', media_base: '/m' }, scorer: {} } as unknown as Pipeline;

it('tries the first three in order and takes the first that loads; the first when none does', async () => {
  const asked: string[] = [];
  const loads = (ok: string[]) => async (ref: string) => (asked.push(ref), ok.includes(ref));
  const doc = { title: 'x', image: ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', ...Array.from({ length: 996 }, (_, i) => `e${i}.jpg`)] };
  expect(await chooseMedia(new DocumentRead(doc, pipeline), loads(['/m/b.jpg']))).toEqual({ image: '/m/b.jpg' });
  expect(asked).toEqual(['/m/a.jpg', '/m/b.jpg']);
  asked.length = 0;
  const none = await chooseMedia(new DocumentRead(doc, pipeline), loads(['/m/d.jpg']));
  expect(asked).toHaveLength(MEDIA_CANDIDATES);
  expect(documentFromSource(doc, pipeline, none)?.image).toBe('/m/a.jpg');
  expect(documentFromSource(doc, pipeline, { image: '/m/c.jpg' })?.image).toBe('/m/c.jpg');
  expect(documentFromSource(doc, pipeline, { image: '/m/d.jpg' })?.image).toBe('/m/a.jpg'); // not one of its candidates
  asked.length = 0;
  expect(await chooseMedia(new DocumentRead({ image: 'a.jpg' }, pipeline), loads([]))).toEqual({});
  expect(asked).toEqual([]);
});

it('takes the photo a record was made from without asking', async () => {
  const asked: string[] = [];
  const doc = { image: ['a.jpg', 'b.jpg'] };
  const loader = mediaLoader(new DocumentRead(doc, pipeline), (ref) => ref === '/m/b.jpg', async (ref) => (asked.push(ref), true));
  expect(await chooseMedia(new DocumentRead(doc, pipeline), loader)).toEqual({ image: '/m/b.jpg' });
  expect(asked).toEqual([]);
});
