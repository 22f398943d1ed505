/**
 * A pipeline whose source fields change (`fields.text: [title, text]` → `[text]`) makes every
 * stored record describe another text: searches refuse its text part by content hash and compute
 * it again on every cold process, so backfill must rewrite it. Before held-out probe round 6 the
 * record signature did not name the fields: backfill found "nothing to do" and the stale records
 * stayed for ever. Real Elasticsearch 9.2, the knowledge-base pipeline, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { contentId, unpackRecord, type FeatureRecord } from '../../../src/features/record/index.js';
import { backfillRecords } from '../../../src/ingest/backfill-records.js';
import type { Pipeline } from '../../../src/pipelines/index.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'kb-fields-changed-it';
const FIELD = 'vlrerank_features';
const DOCS = [
  { title: 'Vitamin D', text: 'Vitamin D deficiency is common in older adults.' },
  { title: 'Iron', text: 'Iron deficiency is the most common cause of anaemia.' },
  { title: 'Vitamin C', text: 'Vitamin C does not prevent the common cold.' },
];

describe('backfill after a pipeline reads other fields (Elasticsearch 9.2)', () => {
  let p: SearchProxy;
  const records = async () => {
    const r = await p.engine.json<any>('POST', `/${INDEX}/_search`, { size: 10, stored_fields: [FIELD], _source: true, query: { match_all: {} } });
    return r.body.hits.hits.map((h: any) => ({ id: h._id as string, source: h._source, record: unpackRecord(h.fields?.[FIELD]) as FeatureRecord | undefined }));
  };
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch9');
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('knowledge-base')!, INDEX);
    // through the proxy: each document gets its record of title + text, and the signature
    for (const [i, d] of DOCS.entries()) {
      const w = await fetch(`${p.url}/${INDEX}/_doc/${i}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(d) });
      expect(w.status).toBe(201);
    }
    await p.engine.json('POST', `/${INDEX}/_refresh`);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('the records of the old fields are rewritten; those of the current ones are left alone', async () => {
    const kb = p.pipelines.get('knowledge-base')!;
    const embedder = new RerankerEmbedder(p.reranker);
    // nothing to do for the pipeline the records were made with
    expect(await backfillRecords(p.engine, kb, INDEX, embedder)).toMatchObject({ total: 0 });
    const made = await records();
    expect(made).toHaveLength(DOCS.length);
    for (const d of made) expect(d.record?.text?.h).toBe(contentId(`${d.source.title}\n${d.source.text}`));

    const textOnly = Object.freeze({ ...kb, fields: { ...kb.fields, text: ['text'] } }) as Pipeline;
    const r = await backfillRecords(p.engine, textOnly, INDEX, embedder);
    expect(r).toMatchObject({ total: DOCS.length, recorded: DOCS.length, failed: 0 });
    await p.engine.json('POST', `/${INDEX}/_refresh`);
    for (const d of await records()) expect(d.record?.text?.h, d.id).toBe(contentId(d.source.text));
    expect(await backfillRecords(p.engine, textOnly, INDEX, embedder)).toMatchObject({ total: 0 });
  });
});
