/**
 * A `_bulk` sent to one index whose actions name another (`_index` overrides the path's index, as
 * Elasticsearch reads it): documents for an index a pipeline ingests get their vectors and feature
 * records wherever the request was sent; those for the path's plain index are stored as sent.
 * Before (held-out probe round 4), `POST /<plain>/_bulk` was forwarded untouched, and its documents
 * for the pipeline's index were stored without vectors — silently. Real Elasticsearch 8.19, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { catalog, groceryDoc, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-action-index-it';
const PLAIN = 'plain-action-index-it';
const engine = 'elasticsearch' as const;

describe('_bulk actions naming another index than the path (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  const doc = groceryDoc(catalog[3]!);
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    for (const i of [INDEX, PLAIN]) await p.engine.json('DELETE', `/${i}`);
    await setupIndex(p.engine, p.pipelines.get('grocery')!, INDEX);
  });
  afterAll(async () => {
    for (const i of [INDEX, PLAIN]) await p?.engine.json('DELETE', `/${i}`);
    await p?.close();
  });

  it('the pipeline index’s documents get vectors through a plain index’s _bulk path; the plain one is stored as sent', async () => {
    const lines = [{ index: { _index: INDEX, _id: 'via-plain-path' } }, doc, { index: { _id: 'plain-doc' } }, { title: 'x', image: doc.image }];
    const body = `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
    const r = await fetch(`${p.url}/${PLAIN}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    const b = (await r.json()) as any;
    expect(b.errors).toBe(false);
    expect(b.items.map((it: any) => it.index._index)).toEqual([INDEX, PLAIN]);
    const routed = (await p.engine.json<any>('GET', `/${INDEX}/_doc/via-plain-path`)).body._source;
    expect(routed.image_vector).toHaveLength(1280);
    expect(routed.image_text_vector).toHaveLength(384);
    expect((await p.engine.json<any>('GET', `/${PLAIN}/_doc/plain-doc`)).body._source).toEqual({ title: 'x', image: doc.image });
  });
});
