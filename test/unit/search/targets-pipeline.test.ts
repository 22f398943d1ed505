/**
 * The pipeline of an index expression no pattern covers is the one its concrete indices share:
 * detection asks for them (`resolve`) only when its answer depends on them, and with them answers
 * as it would for the indices named one by one. Before (held-out probe round 5) an alias or a
 * wildcard was a 400 with ext.vlrerank and was never reranked by a default pipeline.
 */
import { describe, expect, it } from 'vitest';
import { detectRerank, type SearchInput } from '../../../src/search/detect.js';
import { isVlrerankError } from '../../../src/errors.js';
import { kb, products, registry } from './helpers.js';
import { mayDefaultNow } from '../../../src/search/resolve.js';
import { PipelineRegistry } from '../../../src/pipelines/index.js';

const P = (s = '') => new URLSearchParams(s);
const match = { query: { match: { body: 'vitamin d' } } };
const ext = { ...match, ext: { vlrerank: {} } };
const retriever = { retriever: { text_similarity_reranker: { retriever: { standard: match }, field: 'body', inference_text: 'vitamin d' } } };

function message(input: SearchInput): string {
  try {
    detectRerank(input, registry);
  } catch (e) {
    expect(isVlrerankError(e) && e.status).toBe(400);
    return (e as Error).message;
  }
  return expect.unreachable('expected a 400') as never;
}

describe('the pipeline of an alias, a wildcard or a list', () => {
  it('asks for the targets only when its answer depends on them', () => {
    // rerank asked on a name no pattern covers; a default pipeline exists and the search has query text
    expect(detectRerank({ index: 'articles', params: P(), body: ext }, registry).kind).toBe('resolve');
    expect(detectRerank({ index: 'art*', params: P(), body: retriever }, registry).kind).toBe('resolve');
    expect(detectRerank({ index: 'articles', params: P(), body: match }, registry).kind).toBe('resolve');
    expect(detectRerank({ index: 'articles', params: P('q=vitamin'), body: undefined }, registry).kind).toBe('resolve');
    // covered by a pattern, a named pipeline, nothing to rerank against, or what the engine does itself: no lookup
    expect(detectRerank({ index: 'kb', params: P(), body: match }, registry).kind).toBe('rerank');
    expect(detectRerank({ index: 'articles', params: P(), body: { ...match, ext: { vlrerank: { pipeline: 'kb' } } } }, registry).kind).toBe('rerank');
    expect(detectRerank({ index: 'articles', params: P(), body: { query: { match_all: {} } } }, registry).kind).toBe('passthrough');
    expect(detectRerank({ index: 'articles', params: P(), body: { ...match, sort: ['_doc'] } }, registry).kind).toBe('passthrough');
    expect(detectRerank({ index: 'articles', params: P('search_pipeline=theirs'), body: match }, registry).kind).toBe('passthrough');
    expect(message({ index: 'remote:kb', params: P(), body: ext })).toContain('no vlrerank pipeline covers index [remote:kb]'); // a remote cluster's: not asked
  });

  it('an alias over one pipeline’s indices gets that pipeline, in every syntax, and its default', () => {
    for (const body of [ext, retriever]) {
      const d = detectRerank({ index: 'articles', params: P(), body, targets: ['shop-1', 'shop-2'] }, registry);
      expect(d.kind === 'rerank' && d.spec.pipeline.name).toBe('products');
    }
    const d = detectRerank({ index: 'articles', params: P(), body: match, targets: ['kb'] }, registry);
    expect(d.kind === 'rerank' && [d.spec.syntax, d.spec.pipeline.name]).toEqual(['default', 'kb']);
    // a pipeline that is not default does not rerank an unasked search through an alias either
    expect(detectRerank({ index: 'articles', params: P(), body: match, targets: ['shop-1'] }, registry).kind).toBe('passthrough');
  });

  it('indices of different pipelines, or of none: a 400 naming them when asked, the engine’s answer when not', () => {
    const mixed = message({ index: 'every*', params: P(), body: ext, targets: ['kb', 'logs', 'shop-1'] });
    expect(mixed).toContain('[every*] names map to different vlrerank pipelines (kb → kb, logs → none, shop-1 → products)');
    expect(mixed).toContain('name one with ext.vlrerank.pipeline');
    expect(message({ index: 'logs-alias', params: P(), body: ext, targets: ['logs-1'] })).toContain('no vlrerank pipeline covers index [logs-alias] nor the indices it names (logs-1 → none)');
    expect(message({ index: 'gone', params: P(), body: ext, targets: [] })).toContain('no vlrerank pipeline covers index [gone];');
    expect(detectRerank({ index: 'every*', params: P(), body: match, targets: ['kb', 'logs'] }, registry).kind).toBe('passthrough');
    // the retriever names its field: over no one pipeline it reranks on that field, as Elasticsearch does
    const r = detectRerank({ index: 'every*', params: P(), body: retriever, targets: ['kb', 'shop-1'] }, registry);
    expect(r.kind === 'rerank' && [r.spec.pipeline.name, r.spec.pipeline.fields.text]).toEqual(['text-similarity-reranker', ['body']]);
  });

  it('might a default pipeline rerank a search whose body is not read yet: by pattern, else only for names the engine could resolve', () => {
    const deps = { pipelines: registry }; // no resolver: nothing known from the engine
    expect(mayDefaultNow(deps, 'kb', P(), [])).toBe(true); // covered by the default pipeline
    expect(mayDefaultNow(deps, 'shop-1', P(), [])).toBe(false); // covered by a pipeline that is not default
    expect(mayDefaultNow(deps, 'articles', P(), [])).toBe(true); // might be an alias of kb
    expect(mayDefaultNow(deps, undefined, P(), [])).toBe(true); // every index
    expect(mayDefaultNow(deps, 'remote:kb', P(), [])).toBe(false); // a remote cluster's: never resolved
    expect(mayDefaultNow(deps, '_cat', P(), [])).toBe(false);
    const noDefault = { pipelines: new PipelineRegistry([products, { ...kb, default: false }]) };
    expect(mayDefaultNow(noDefault, 'kb', P(), [])).toBe(false);
    expect(mayDefaultNow(noDefault, 'articles', P(), [])).toBe(false);
    expect(mayDefaultNow({ pipelines: new PipelineRegistry([]) }, 'articles', P(), [])).toBe(false);
  });

  it('indices of many pipelines: the 400 names each pipeline, not the first ten indices of one (held-out probe round 18b)', () => {
    // a tenant of 50 indices sorts before the other tenant's: listed in order, the ten were all one pipeline's
    const targets = [...Array.from({ length: 50 }, (_, i) => `shop-${String(i).padStart(2, '0')}`), 'kb', 'logs-1'];
    const mixed = message({ index: 'every*', params: P(), body: ext, targets });
    expect(mixed).toContain('[every*] names map to different vlrerank pipelines (3 in all, "none" among them) (shop-00 → products, kb → kb, logs-1 → none, shop-01 → products');
    expect(mixed).toContain('and 42 more');
  });
});
