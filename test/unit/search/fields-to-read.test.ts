/**
 * Which hits a reranked search reads the engine's `fields` for (search/field-values.ts, held-out
 * probe round 20b): a pipeline field no hit of an index shows in `_source` (an alias, a multi-field,
 * a stored field out of `_source`) is read; one that other hits of the same index show is a
 * `_source` field there, and a hit lacking it has no value to find — no read (a catalog of products
 * without photos would have paid one engine call per search for nothing).
 */
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../src/pipelines/index.js';
import { fieldsToRead } from '../../../src/search/field-values.js';
import { sourceWithFields } from '../../../src/search/hit-documents.js';

const p = parsePipeline({ name: 't', index_patterns: ['a', 'b'], fields: { text: ['title.keyword'], image: ['media.image'] }, features: { store: 'none' } }, 't.yaml');

describe('fieldsToRead', () => {
  it('reads a field no hit of the index shows, for every hit of that index', () => {
    const hits = [
      { _index: 'a', _id: '1', _source: { title: 'x', media: { image: 'p.jpg' } } },
      { _index: 'a', _id: '2', _source: { title: 'y', media: { image: 'q.jpg' } } },
    ];
    expect([...fieldsToRead(hits, p)]).toEqual([[0, ['title.keyword']], [1, ['title.keyword']]]);
  });

  it('does not read a field other hits of the same index show in _source (a product without a photo)', () => {
    const hits = [
      { _index: 'a', _id: '1', _source: { 'title.keyword': 'x', media: { image: 'p.jpg' } } },
      { _index: 'a', _id: '2', _source: { 'title.keyword': 'y', media: { image: [] } } },
      { _index: 'a', _id: '3', _source: { 'title.keyword': 'z', media: { image: null } } },
      // another index's hits are judged by their own index
      { _index: 'b', _id: '4', _source: { 'title.keyword': 'w' } },
    ];
    expect([...fieldsToRead(hits, p)]).toEqual([[3, ['media.image']]]);
  });

  it('leaves out the hits it is told to skip and hits without _index or _id', () => {
    const hits = [{ _index: 'a', _id: '1', _source: {} }, { _id: '2', _source: {} }, { _index: 'a', _id: '3', _source: {} }];
    expect([...fieldsToRead(hits, p, (i) => i === 2)]).toEqual([[0, ['title.keyword', 'media.image']]]);
  });
});

describe('sourceWithFields', () => {
  it('adds what the engine read for the lacking fields only, under their dotted names (nested answers too)', () => {
    const hit = { _index: 'a', _id: '1', _source: { title: 'x' } };
    const read = { 'title.keyword': ['x'], 'media.image': ['a.jpg'], other: [1] };
    expect(sourceWithFields(hit, p, read)).toEqual({ title: 'x', 'title.keyword': ['x'], 'media.image': ['a.jpg'] });
    // Elasticsearch answers a nested field's values as objects under its parent
    expect(sourceWithFields(hit, p, { media: [{ image: ['n1.jpg'] }, { image: ['n2.jpg'] }] })).toEqual({ title: 'x', 'media.image': ['n1.jpg', 'n2.jpg'] });
    expect(sourceWithFields(hit, p, undefined)).toBe(hit._source);
  });
});
