/**
 * A text search whose pipeline's first stage is hybrid (BM25 + kNN over the bridge vector) or kNN,
 * on an index that does not map the bridge vector field (never set up, made by hand): Elasticsearch
 * dropped the kNN part silently (a kNN first stage: no hits) and OpenSearch refused the whole search
 * with its 400 "is not knn_vector type" (held-out probe round 12c). Now both run the text part
 * alone (BM25 on the match fields), rerank it as usual and say so: `vlrerank.first_stage: "text"`
 * and a note naming the field and `vlrerank index setup`. An index that maps the field is untouched.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, catalog, clientSearchRaw, freshIndex, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { setupIndex } from '../../../src/engine/mapping.js';
import { BRIDGE_MAPPING_TTL_MS } from '../../../src/search/bridge-field.js';

const BARE = 'bridge-unmapped-it';
const SET_UP = 'bridge-unmapped-set-up-it';
// the shipped grocery pipeline with a kNN-only text first stage, under another name
const knnOnly = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
  .replace(/^name: grocery$/m, 'name: grocery-knn')
  .replace(/^index_patterns:.*$/m, 'index_patterns: [grocery-knn-nothing]')
  .replace(/text_query: hybrid/, 'text_query: knn');
const search = (pipeline: string) => ({ size: 3, ext: { vlrerank: { pipeline, query: { text: 'green apple' }, window: 10 } } });

describe.each(ENGINES)('text search on an index without the bridge vector field on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'grocery-knn.yaml': knnOnly }) });
    await p.engine.json('DELETE', `/${BARE}`);
    await p.engine.json('PUT', `/${BARE}`, { mappings: { properties: { title: { type: 'text' }, description: { type: 'text' }, image: { type: 'keyword' } } } });
    const docs = catalog.slice(0, 12);
    for (const [i, c] of docs.entries()) {
      const d = groceryDoc(c);
      await p.engine.json('PUT', `/${BARE}/_doc/${i}`, { title: d.title, description: d.description, image: d.image });
    }
    await p.engine.json('POST', `/${BARE}/_refresh`);
    await freshIndex(p, p.pipelines.get('grocery')!, SET_UP);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${BARE}`);
    await p?.engine.json('DELETE', `/${SET_UP}`);
    await p?.close();
  });

  it.each(['grocery', 'grocery-knn'])('pipeline %s: the text first stage, reranked, and a note naming `vlrerank index setup`', async (pipeline) => {
    const r = await clientSearchRaw(engine, p.url, { index: BARE, body: search(pipeline) });
    expect(r.statusCode, JSON.stringify(r.body)).toBe(200);
    const v = r.body.vlrerank;
    expect(v.first_stage).toBe('text');
    expect(v.first_stage_note).toContain('[image_text_vector]');
    expect(v.first_stage_note).toContain(`vlrerank index setup ${BARE} --pipeline ${pipeline}`);
    expect(v.first_stage_note).toContain(`vlrerank index backfill ${BARE}`);
    expect(v.degraded).toBe(false);
    expect(v.candidates).toBeGreaterThan(0);
    expect(r.body.hits.hits.length).toBeGreaterThan(0);
    expect(r.body.hits.hits[0]._source.title.toLowerCase()).toMatch(/apple/);
  });

  it('an index that maps the field keeps the pipeline\'s first stage, without a note', async () => {
    const r = await clientSearchRaw(engine, p.url, { index: SET_UP, body: search('grocery') });
    expect(r.statusCode, JSON.stringify(r.body)).toBe(200);
    expect(r.body.vlrerank.first_stage).toBeUndefined();
    expect(r.body.vlrerank.first_stage_note).toBeUndefined();
  });

  // OpenSearch sets index.knn only at creation (setup refuses such an index): the later setup on Elasticsearch
  it.runIf(engine === 'elasticsearch')('once `index setup` adds the field, the pipeline\'s first stage is back after the mapping kept', async () => {
    await setupIndex(p.engine, p.pipelines.get('grocery')!, BARE);
    await new Promise((r) => setTimeout(r, BRIDGE_MAPPING_TTL_MS + 100));
    const r = await clientSearchRaw(engine, p.url, { index: BARE, body: search('grocery') });
    expect(r.statusCode, JSON.stringify(r.body)).toBe(200);
    expect(r.body.vlrerank.first_stage).toBeUndefined();
    expect(r.body.hits.hits.length).toBeGreaterThan(0);
  });

  it('a missing index keeps the engine\'s 404', async () => {
    const r = await clientSearchRaw(engine, p.url, { index: 'bridge-unmapped-nothing-here', body: search('grocery') });
    expect(r.statusCode).toBe(404);
    expect(r.body.error.type).toBe('index_not_found_exception');
  });
});
