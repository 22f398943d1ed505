/**
 * A document's pipeline fields are walked once however much is asked of them (task twin30): search
 * walked each hit's photo and clip fields six times (the record's photo, the media choice, the
 * document, the unread values, the media note) and its text fields twice; ingest walked the photo
 * fields three times. Now one `DocumentRead` per document serves all of them (src/pipelines/document.ts),
 * and its unread values are looked for again only when the fields already read held one.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ingestDocument } from '../../../src/ingest/media-choice.js';
import { DocumentRead, unreadValues } from '../../../src/pipelines/document.js';
import type { Pipeline } from '../../../src/pipelines/schema.js';
import { hitDocuments } from '../../../src/search/hit-documents.js';
import type { Hit } from '../../../src/search/shape.js';

const pipeline = { fields: { text: ['title', 'description'], image: ['image'], video: ['video'], text_separator: '\n', media_base: '/m' }, scorer: {}, features: { field: '_f' } } as unknown as Pipeline;
const loads = async () => true;

/** `doc`, and how many times each of its keys was looked up (every walk of a path looks its key up once). */
function counted(doc: Record<string, unknown>): { doc: Record<string, unknown>; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  const proxy = new Proxy(doc, {
    getOwnPropertyDescriptor(t, k) {
      reads.set(String(k), (reads.get(String(k)) ?? 0) + 1);
      return Reflect.getOwnPropertyDescriptor(t, k);
    },
  });
  return { doc: proxy, reads };
}

const DOCS: Record<string, Record<string, unknown>> = {
  'one photo': { title: 'Banana', description: 'yellow', image: 'a.jpg', video: 'v.mp4' },
  'several photos, one unread': { title: 'Banana', description: { en: 'yellow' }, image: ['a.jpg', 42, 'b.jpg', 'c.jpg'], video: ['v.mp4', 'w.mp4'] },
};

it.each(Object.entries(DOCS))('search and ingest walk each pipeline field of a document once (%s)', async (_, source) => {
  const hit = counted(structuredClone(source));
  const found = await hitDocuments([{ _id: '1', _source: hit.doc } as Hit], pipeline, undefined, { mediaLoads: loads }, {} as never);
  expect(found.present).toHaveLength(1);
  expect(Object.fromEntries(hit.reads)).toEqual({ title: 1, description: 1, image: 1, video: 1 });

  const ingested = counted(structuredClone(source));
  expect(await ingestDocument(ingested.doc, pipeline, { mediaLoads: loads })).toEqual(found.present[0]!.d);
  expect(Object.fromEntries(ingested.reads)).toEqual({ title: 1, description: 1, image: 1, video: 1 });
});

it('names the same unread values after reading the document as a fresh read does', () => {
  const value = fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom('\u200b', ' ', 'a.jpg'), fc.integer(), fc.boolean(), fc.constant(null), fc.record({ url: fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null)) }, { requiredKeys: [] }), fc.record({ alt: fc.string({ maxLength: 3 }) }));
  const field = fc.oneof(value, fc.array(value, { maxLength: 4 }));
  const doc = fc.record({ title: field, description: field, image: field, video: field }, { requiredKeys: [] });
  fc.assert(
    fc.property(doc, (d) => {
      const read = new DocumentRead(d, pipeline);
      read.document();
      expect(read.unread()).toEqual(unreadValues(d, pipeline));
    }),
    { numRuns: 500 },
  );
});
