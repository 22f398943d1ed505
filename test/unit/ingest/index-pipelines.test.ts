/**
 * Which engine ingest pipelines a write runs (the named one or else the index's default, then its
 * final — Elasticsearch's and OpenSearch's order), and which requests make the kept index settings
 * be read again (fix23p). The engines' own behaviour is checked in
 * test/integration/search/ingest-index-pipelines.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { pipelinesRun } from '../../../src/ingest/engine-pipeline.js';
import { changesIndexPipelines, IndexPipelines } from '../../../src/ingest/index-pipelines.js';

describe('pipelinesRun', () => {
  const both = { default: 'd', final: 'f' };
  it('runs the named pipeline instead of the default, and the final after either', () => {
    expect(pipelinesRun(undefined, both)).toEqual(['d', 'f']);
    expect(pipelinesRun('n', both)).toEqual(['n', 'f']);
    expect(pipelinesRun('n', { default: 'd' })).toEqual(['n']);
    expect(pipelinesRun(undefined, { final: 'f' })).toEqual(['f']);
  });
  it('`_none` skips the default, never the final', () => {
    expect(pipelinesRun('_none', both)).toEqual(['f']);
    expect(pipelinesRun('_none', { default: 'd' })).toEqual([]);
  });
  it('settings unknown: only what the write names', () => {
    expect(pipelinesRun(undefined, undefined)).toEqual([]);
    expect(pipelinesRun('n', undefined)).toEqual(['n']);
  });
});

describe('changesIndexPipelines', () => {
  it('settings, templates, aliases, rollovers and indices created or deleted', () => {
    for (const [m, u] of [
      ['PUT', '/kb-1/_settings'], ['PUT', '/_settings'], ['PUT', '/kb-*/_settings?preserve_existing=true'],
      ['PUT', '/_index_template/kb'], ['DELETE', '/_index_template/kb'], ['POST', '/_template/kb'], ['PUT', '/_component_template/c'],
      ['POST', '/_aliases'], ['PUT', '/kb-1/_alias/kb'], ['POST', '/kb/_rollover'], ['PUT', '/_data_stream/logs-a'],
      ['PUT', '/kb-2'], ['DELETE', '/kb-2'], ['POST', '/kb-1/_close'], ['POST', '/kb-1/_open'],
    ]) expect(changesIndexPipelines(m, u!), `${m} ${u}`).toBe(true);
  });
  it('not reads, documents, searches or simulations', () => {
    for (const [m, u] of [
      ['GET', '/kb-1/_settings'], ['HEAD', '/kb-1'], ['PUT', '/kb-1/_doc/1'], ['POST', '/kb-1/_bulk'], ['POST', '/_bulk'],
      ['POST', '/kb-1/_search'], ['POST', '/_index_template/_simulate_index/kb-3'], ['POST', '/_ingest/pipeline/p/_simulate'], ['DELETE', '/kb-1/_doc/1'],
    ]) expect(changesIndexPipelines(m, u!), `${m} ${u}`).toBe(false);
  });
});

describe('IndexPipelines', () => {
  const via = { pool: { request: async () => { throw new Error('not used'); } }, headers: [] as string[] };
  it('reads an index once per credentials while kept, again after forget()', async () => {
    let reads = 0;
    const kept = new IndexPipelines(60_000, 16, async () => ((reads++), { default: 'd' }));
    await Promise.all([kept.of('kb-1', via), kept.of('kb-1', via), kept.of('kb-1', via)]);
    expect(await kept.of('kb-1', via)).toEqual({ default: 'd' });
    expect(reads).toBe(1);
    await kept.of('kb-1', { ...via, headers: ['authorization', 'Basic b3RoZXI6eA=='] });
    expect(reads).toBe(2);
    kept.forget();
    await kept.of('kb-1', via);
    expect(reads).toBe(3);
  });
  it('a read that fails counts as no pipelines and is not kept long', async () => {
    let reads = 0;
    const kept = new IndexPipelines(60_000, 16, async () => {
      reads++;
      throw new Error('engine down');
    });
    expect(await kept.of('kb-1', via)).toBeUndefined();
    expect(await kept.of('kb-1', via)).toBeUndefined();
    expect(reads).toBe(1); // kept a moment: not one read per document of a _bulk
  });
});
