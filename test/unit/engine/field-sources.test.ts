/**
 * fix20c: where ingest reads a pipeline field that is not a key of the written document — an alias,
 * a multi-field, a `copy_to` target — from a `GET /{index}/_mapping` answer; the document as the
 * pipeline then reads it; and the fields no index of the answer maps.
 */
import { describe, expect, it } from 'vitest';
import { fieldSources, unmappedFields } from '../../../src/engine/mapping.js';
import { documentFromSource, withFieldSources } from '../../../src/pipelines/document.js';
import { parsePipeline } from '../../../src/pipelines/index.js';

const answer = {
  'f20c-u': {
    mappings: {
      properties: {
        t: { type: 'text' },
        name: { type: 'alias', path: 't' },
        title: { type: 'text', fields: { keyword: { type: 'keyword' } } },
        a: { type: 'text', copy_to: ['all'] },
        meta: { properties: { b: { type: 'text', copy_to: 'all' }, photo: { type: 'alias', path: 'media.img' } } },
        all: { type: 'text' },
        media: { properties: { img: { type: 'keyword' } } },
      },
    },
  },
};

describe('fieldSources / withFieldSources / unmappedFields', () => {
  it('an alias reads its path, a multi-field its parent, a copy_to target its sources in mapping order; plain fields are left out', () => {
    const got = fieldSources(answer, ['name', 'title.keyword', 'all', 'meta.photo', 't', 'media.img', 'nowhere']);
    expect(Object.fromEntries(got)).toEqual({ name: ['t'], 'title.keyword': ['title'], all: ['a', 'meta.b'], 'meta.photo': ['media.img'] });
  });

  it('the document is read through them; a value it holds itself is read first; the document is not changed', () => {
    const sources = fieldSources(answer, ['name', 'all', 'meta.photo']);
    const doc = { t: 'giraffe', a: 'one', meta: { b: ['two', 'three'] }, media: { img: 'x.jpg' } };
    const copy = structuredClone(doc);
    const view = withFieldSources(doc, sources);
    expect(doc).toEqual(copy);
    const p = parsePipeline({ name: 'u', index_patterns: ['f20c-u'], fields: { text: ['name', 'all'], image: ['meta.photo'] }, features: { store: 'none' } }, 'u.yaml');
    expect(documentFromSource(view, p)).toMatchObject({ text: 'giraffe\none\ntwo\nthree', image: 'x.jpg' });
    expect(withFieldSources({ name: 'own', t: 'other' }, sources).name).toBe('own');
    expect(withFieldSources(doc, undefined)).toBe(doc);
  });

  it('fields no index maps (nor as alias, multi-field or copy_to target) are named', () => {
    expect(unmappedFields(answer, ['name', 'title.keyword', 'all', 't', 'photo', 'title.raw'])).toEqual(['photo', 'title.raw']);
    expect(unmappedFields({}, ['photo'])).toEqual([]);
  });
});
