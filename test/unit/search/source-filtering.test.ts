import { describe, expect, it } from 'vitest';
import { valuesAt } from '../../../src/pipelines/document.js';
import { applySourceFilter, parseSourceFilter, widenSourceFilter } from '../../../src/search/source.js';

const doc = { title: 'Oat milk', description: 'Creamy', image: { url: 'a.jpg', alt: 'carton' }, tags: [{ name: 'a', w: 1 }, { name: 'b', w: 2 }], img_vec: [1, 2] };

describe('_source filtering', () => {
  it('parses body and URL forms', () => {
    expect(parseSourceFilter(['a', 'b'])).toEqual({ enabled: true, includes: ['a', 'b'], excludes: [] });
    expect(parseSourceFilter({ include: 'a', exclude: ['b'] })).toEqual({ enabled: true, includes: ['a'], excludes: ['b'] });
    expect(parseSourceFilter(undefined, new URLSearchParams('_source=false'))).toEqual({ enabled: false, includes: [], excludes: [] });
    expect(parseSourceFilter(true, new URLSearchParams('_source_excludes=img_*'))).toEqual({ enabled: true, includes: [], excludes: ['img_*'] });
  });

  it('applies includes and excludes like Elasticsearch', () => {
    expect(applySourceFilter(doc, parseSourceFilter(['title', 'image.url']))).toEqual({ title: 'Oat milk', image: { url: 'a.jpg' } });
    expect(applySourceFilter(doc, parseSourceFilter({ excludes: ['img_*', 'image.alt'] }))).toEqual({ title: 'Oat milk', description: 'Creamy', image: { url: 'a.jpg' }, tags: doc.tags });
    expect(applySourceFilter(doc, parseSourceFilter(['tags.name']))).toEqual({ tags: [{ name: 'a' }, { name: 'b' }] });
    expect(applySourceFilter(doc, parseSourceFilter(['image']))).toEqual({ image: doc.image });
    expect(applySourceFilter(doc, parseSourceFilter(['*.url']))).toEqual({ image: { url: 'a.jpg' } });
    expect(applySourceFilter(doc, parseSourceFilter(false))).toBeUndefined();
    expect(applySourceFilter(doc, parseSourceFilter(['nothing']))).toEqual({});
  });

  it('widens a filter with needed fields', () => {
    expect(widenSourceFilter(parseSourceFilter(undefined), ['x'])).toBeUndefined();
    expect(widenSourceFilter(parseSourceFilter(['title']), ['image.url'])).toEqual({ includes: ['title', 'image.url'] });
    expect(widenSourceFilter(parseSourceFilter({ excludes: ['image', 'img_vec'] }), ['image.url'])).toEqual({ excludes: ['img_vec'] });
  });

  it("carries Elasticsearch 9's exclude_vectors to the first stage as the client gave it", () => {
    expect(widenSourceFilter(parseSourceFilter({ exclude_vectors: false }), ['title'])).toEqual({ exclude_vectors: false });
    expect(widenSourceFilter(parseSourceFilter({ excludes: ['img_vec'], exclude_vectors: true }), ['title'])).toEqual({ excludes: ['img_vec'], exclude_vectors: true });
    expect(widenSourceFilter(parseSourceFilter({ includes: ['title'], exclude_vectors: false }), ['image.url'])).toEqual({ includes: ['title', 'image.url'], exclude_vectors: false });
    // the engine applies it: our own filtering of the hits is unchanged
    expect(applySourceFilter(doc, parseSourceFilter({ exclude_vectors: false }))).toEqual(doc);
  });

  it('reads values at dotted paths through arrays and dotted keys', () => {
    expect(valuesAt(doc, 'tags.name')).toEqual(['a', 'b']);
    expect(valuesAt({ 'image.url': 'x' }, 'image.url')).toEqual(['x']);
    expect(valuesAt({ images: ['a', 'b'] }, 'images')).toEqual(['a', 'b']);
    expect(valuesAt(doc, 'missing.path')).toEqual([]);
  });
});
