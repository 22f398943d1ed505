/**
 * PipelineRegistry.forIndex keeps its answers (it is asked several times per search): the kept
 * answer is the one a fresh registry gives, for covered names, uncovered names, lists and
 * patterns, also after more expressions than it keeps have been asked (it forgets, never errs).
 */
import { expect, it } from 'vitest';
import { PipelineRegistry } from '../../../src/pipelines/registry.js';
import type { Pipeline } from '../../../src/pipelines/schema.js';

const pipeline = (name: string, index_patterns: string[]) => ({ name, index_patterns, default: false, vectors: { ingest: false }, features: { store: 'none' } }) as unknown as Pipeline;
const pipelines = [pipeline('kb', ['kb-*', 'scifact']), pipeline('grocery', ['grocery', 'grocery-*'])];
const exprs = ['kb-1', 'scifact', 'grocery', 'grocery-2', 'kb-1,kb-2', 'kb-1,grocery', 'kb-*', 'kb*', '-kb-1', 'other', 'scifact2', ' kb-1 , kb-3 ', 'grocery,-grocery-old'];

it('answers every expression as a fresh registry does, asked again and after it has forgotten', () => {
  const kept = new PipelineRegistry(pipelines);
  const fresh = () => new PipelineRegistry(pipelines);
  const want = exprs.map((e) => fresh().forIndex(e)?.name);
  expect(want).toEqual(['kb', 'kb', 'grocery', 'grocery', 'kb', undefined, 'kb', undefined, 'kb', undefined, undefined, 'kb', 'grocery']);
  expect(exprs.map((e) => kept.forIndex(e)?.name)).toEqual(want);
  expect(exprs.map((e) => kept.forIndex(e)?.name)).toEqual(want); // from what it kept
  for (let i = 0; i < 3000; i++) expect(kept.forIndex(`kb-${i}`)?.name).toBe('kb'); // past its bound: forgets and starts again
  for (let i = 0; i < 3000; i++) expect(kept.forIndex(`n-${i}`)).toBeUndefined();
  expect(exprs.map((e) => kept.forIndex(e)?.name)).toEqual(want);
  expect(kept.forIndices(['kb-1', 'scifact']).pipeline?.name).toBe('kb');
  expect(kept.forIndices(['kb-1', 'grocery']).pipeline).toBeUndefined();
});

it('says which expressions the engine may resolve, one name or a list alike', () => {
  const r = new PipelineRegistry(pipelines);
  const cases: Array<[string | undefined, boolean]> = [[undefined, true], ['', true], ['kb-1', true], ['_all', true], ['other:kb', false], ['_internal', false], ['a,b', true], ['a,_x', false], ['a,_all', true], ['a,o:b', false]];
  expect(cases.map(([e]) => r.resolvable(e))).toEqual(cases.map(([, want]) => want));
  expect(new PipelineRegistry([]).resolvable('kb-1')).toBe(false);
});

it('asks about remote clusters\' names only when a pattern names a remote cluster\'s indices, and ingests none of them', () => {
  const r = new PipelineRegistry([...pipelines, pipeline('remote-kb', ['other:kb-*']), { ...pipeline('ingests', ['docs-*', 'other:docs-*']), vectors: { ingest: true } } as unknown as Pipeline]);
  const cases: Array<[string, boolean]> = [['other:kb', true], ['*:kb-*', true], ['kb-*,*:kb-*', true], ['a,o:b', true], ['_internal', false], ['a,_x', false]];
  expect(cases.map(([e]) => r.resolvable(e))).toEqual(cases.map(([, want]) => want));
  expect(r.forIndex('other:kb-1')?.name).toBe('remote-kb');
  expect(r.ingestFor('docs-1')?.name).toBe('ingests');
  expect(r.ingestFor('other:docs-1')).toBeUndefined(); // no cluster writes through another
});
