/**
 * A cluster search pipeline's rerank processor naming a vlrerank pipeline (engine/search-pipelines.ts,
 * held-out probe round 34b): which definitions are vlrerank's, what the engine stores in their place,
 * which are refused and why, and how the client's definition is read back from a listing.
 */
import { describe, expect, it } from 'vitest';
import { restoreDefinitions, SearchPipelineAliases, splitDefinition, storedName } from '../../../src/engine/search-pipelines.js';

const ours = (n: string) => n === 'text';
const rerank = (model_id: string, extra: Record<string, unknown> = {}) => ({ rerank: { ml_opensearch: { model_id }, context: { document_fields: ['passage_text'] }, ...extra } });

describe('splitDefinition', () => {
  it('leaves a definition naming no vlrerank pipeline to the engine (by_field, another model, no processors)', () => {
    expect(splitDefinition({ response_processors: [rerank('some-cross-encoder')] }, ours)).toBeUndefined();
    expect(splitDefinition({ response_processors: [{ rerank: { by_field: { target_field: 'n' } } }] }, ours)).toBeUndefined();
    expect(splitDefinition({ request_processors: [{ filter_query: { query: { match_all: {} } } }] }, ours)).toBeUndefined();
    expect(splitDefinition('not an object', ours)).toBeUndefined();
  });

  it('stores the pipeline without the processor, the definition whole in its description', () => {
    const def = { description: 'mine', request_processors: [{ filter_query: { query: { term: { a: 1 } } } }], response_processors: [{ truncate_hits: { target_size: 5 } }, rerank('text')] };
    const out = splitDefinition(def, ours)!;
    expect(out.alias).toEqual({ pipeline: 'text', documentFields: ['passage_text'] });
    expect(out.stored.request_processors).toEqual(def.request_processors);
    expect(out.stored.response_processors).toEqual([{ truncate_hits: { target_size: 5 } }]);
    expect(restoreDefinitions({ [storedName('p')]: out.stored })).toEqual({ p: def });
  });

  it('refuses what it cannot honour, naming the field', () => {
    const after = { response_processors: [rerank('text'), { truncate_hits: { target_size: 3 } }] };
    expect(() => splitDefinition(after, ours)).toThrow(/\[response_processors\.1\] \[truncate_hits\] comes after the rerank/);
    expect(() => splitDefinition({ response_processors: [rerank('text'), rerank('text')] }, ours)).toThrow(/2 rerank processors/);
    expect(() => splitDefinition({ response_processors: [rerank('text', { top_n: 3 })] }, ours)).toThrow(/\[response_processors\.0\.rerank\.top_n\]/);
    expect(() => splitDefinition({ response_processors: [{ rerank: { ml_opensearch: { model_id: 'text', x: 1 } } }] }, ours)).toThrow(/ml_opensearch\.x/);
    expect(() => splitDefinition({ response_processors: [{ rerank: { ml_opensearch: { model_id: 'text' }, context: { document_fields: [] } } }] }, ours)).toThrow(/document_fields\] must be a non-empty list/);
  });
});

describe('restoreDefinitions', () => {
  it("tells which names are vlrerank's and which the engine's, and leaves a listing without ours alone", () => {
    const def = { response_processors: [rerank('text')] };
    const stored = splitDefinition(def, ours)!.stored;
    const seen: Record<string, unknown> = {};
    const out = restoreDefinitions({ own: { description: 'engine' }, [storedName('mine')]: stored }, (n, a) => (seen[n] = a));
    expect(out).toEqual({ own: { description: 'engine' }, mine: def });
    expect(seen).toEqual({ own: null, mine: { pipeline: 'text', documentFields: ['passage_text'] } });
    expect(restoreDefinitions({ own: { description: 'engine' } })).toBeUndefined();
  });
});

describe('SearchPipelineAliases', () => {
  it('keeps what it learnt for its time only, and nothing with a time of 0', () => {
    const a = new SearchPipelineAliases(60_000);
    a.learn('x', { pipeline: 'text' });
    a.learn('y', null);
    expect(a.get('x')).toEqual({ pipeline: 'text' });
    expect(a.get('y')).toBeNull();
    expect(a.get('z')).toBeUndefined();
    a.forget();
    expect(a.get('x')).toBeUndefined();
    const off = new SearchPipelineAliases(0);
    off.learn('x', { pipeline: 'text' });
    expect(off.get('x')).toBeUndefined();
  });
});
