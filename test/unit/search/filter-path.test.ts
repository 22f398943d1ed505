/**
 * filter_path on the answers vlrerank builds itself, as Elasticsearch filters its own: each
 * expectation below is what Elasticsearch 8.19 answered for the same parameter on the same body
 * (checked by hand against the engine, held-out probe round 4).
 */
import { describe, expect, it } from 'vitest';
import { applyFilterPath, parseFilterPath, withoutAnswerParams } from '../../../src/search/filter-path.js';

const body = {
  took: 3,
  timed_out: false,
  _shards: { total: 1, successful: 1 },
  hits: {
    total: { value: 49, relation: 'eq' },
    max_score: 0.5,
    hits: [
      { _index: 'g', _id: '2', _score: 0.5, _source: { title: 'Pink Lady', image: 'a.jpg' } },
      { _index: 'g', _id: '3', _score: 0.4, _source: { title: 'Red', image: 'b.jpg' } },
    ],
  },
  vlrerank: { pipeline: 'grocery', window: 50 },
};

const f = (qs: string) => applyFilterPath(body, parseFilterPath(new URLSearchParams(qs))!);

describe('filter_path', () => {
  it('keeps the paths named, crossing arrays, and drops what is left empty', () => {
    expect(f('filter_path=hits.hits._id')).toEqual({ hits: { hits: [{ _id: '2' }, { _id: '3' }] } });
    expect(f('filter_path=hits.hits._id,hits.total.value')).toEqual({ hits: { total: { value: 49 }, hits: [{ _id: '2' }, { _id: '3' }] } });
    expect(f('filter_path=nothing')).toEqual({});
    expect(f('filter_path=hits.hits._source.title')).toEqual({ hits: { hits: [{ _source: { title: 'Pink Lady' } }, { _source: { title: 'Red' } }] } });
  });

  it('matches * within a name and ** across levels', () => {
    expect(f('filter_path=h*.t*')).toEqual({ hits: { total: { value: 49, relation: 'eq' } } });
    expect(f('filter_path=**._id')).toEqual({ hits: { hits: [{ _id: '2' }, { _id: '3' }] } });
    expect(f('filter_path=hits.**.title')).toEqual({ hits: { hits: [{ _source: { title: 'Pink Lady' } }, { _source: { title: 'Red' } }] } });
  });

  it('applies exclusions first; only exclusions keep everything else', () => {
    expect(f('filter_path=-hits,-_shards,-vlrerank')).toEqual({ took: 3, timed_out: false });
    expect(f('filter_path=hits.hits._id,-hits.hits._id')).toEqual({});
    expect(f('filter_path=-hits.hits._source').hits).toEqual({ ...body.hits, hits: body.hits.hits.map(({ _source: _, ...h }) => h) });
  });

  it('uses the last filter_path given, ignores an empty one, and is removed from what goes to the engine', () => {
    expect(f('filter_path=hits.hits._id&filter_path=took')).toEqual({ took: 3 });
    expect(parseFilterPath(new URLSearchParams('filter_path='))).toBeUndefined();
    expect(parseFilterPath(new URLSearchParams('size=1'))).toBeUndefined();
    expect(withoutAnswerParams(new URLSearchParams('filter_path=a&size=1&filter_path=b&format=yaml')).toString()).toBe('size=1');
    expect(body.hits.hits[0]!._source.title).toBe('Pink Lady'); // the input is not changed
  });
});

describe('filter_path: repeated double wildcards', () => {
  // Elasticsearch 8.19 on a document {a:{b:{x:1,y:2}},x:3}: `_source.**.**.x` → {a:{b:{x:1}}}
  it('`**.**.x`: the second `**` takes one name at least, as the engine does', () => {
    const body = { a: { b: { x: 1, y: 2 } }, x: 3 };
    const f = parseFilterPath(new URLSearchParams('filter_path=**.**.x'))!;
    expect(applyFilterPath(body, f)).toEqual({ a: { b: { x: 1 } } });
  });
});
