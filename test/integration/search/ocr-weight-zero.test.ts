/**
 * A pipeline that weighs `ocr_text` 0 does not run OCR, on a server with `rerank.ocr` on (held-out
 * probe round 22a: a knowledge base of screenshots beside a catalog of photos). Before, OCR ran for
 * every image of every pipeline — 8.8 and 10.7 s for two page screenshots written to a pipeline
 * that weighs it 0 — its text kept in the records and read by searches, where the signal counts
 * for nothing. Now a search plans OCR, and ingest, backfill and write-back make records with it,
 * only where `ocr_text` weighs more than 0; the pipeline beside it that weighs it keeps it.
 * Elasticsearch 8.19 and OpenSearch 2.19, the real PP-OCRv4 and image models, text rendered by librsvg.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord, unpackRecord } from '../../../src/index.js';
import { counterSum } from '../../helpers/metrics.js';
import { screenshot, screenshotPipeline } from '../../helpers/screenshots.js';
import { ENGINES, freshIndex, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const OFF = 'p22a-ocr0-it';
const ON = 'p22a-ocr-it';
const pipeline = screenshotPipeline;
const PIPELINES = {
  'p22a-ocr0.yaml': pipeline('p22a-ocr0', OFF, 'scorer: { weights: { ocr_text: 0 } }\n'),
  'p22a-ocr.yaml': pipeline('p22a-ocr', ON),
};

const shot = screenshot;

describe.each(ENGINES)('a pipeline weighing ocr_text 0 runs no OCR (%s)', (engine) => {
  let p: SearchProxy;
  const runs = () => counterSum(p.url, 'vlrerank_model_runs_total', { model: 'ppocr-v4-ch' });
  const record = async (index: string, id: string) => {
    const r = await p.engine.json<any>('GET', `/${index}/_doc/${id}?stored_fields=vlrerank_features`);
    return parseRecord(unpackRecord(r.body.fields?.vlrerank_features)).record as any;
  };
  const put = (index: string, id: string, doc: object) => fetch(`${p.url}/${index}/_doc/${id}?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES), rerank: { ocr: true } });
    await freshIndex(p, p.pipelines.get('p22a-ocr0')!, OFF);
    await freshIndex(p, p.pipelines.get('p22a-ocr')!, ON);
    await p.reranker.waitWarm({ cost: 0 }); // the warm-up's rehearsal runs OCR once: not counted below
  }, 300_000);
  afterAll(async () => {
    for (const i of [OFF, ON]) await p?.engine.json('DELETE', `/${i}`);
    await p?.close();
  });

  it('ingest makes its records without OCR, a search reads none; the pipeline that weighs it keeps it', { timeout: 600_000 }, async () => {
    const before = await runs();
    expect((await put(OFF, '1', { screenshot: await shot('Reset your router') })).status).toBe(201);
    const off = await record(OFF, '1');
    expect(off?.image).toBeDefined(); // the record holds the photo's parts…
    expect(off.image.ocr).toBeUndefined(); // …and no OCR
    expect(await runs()).toBe(before);

    // a document written around the proxy has no record: the search computes its features itself
    await p.engine.json('PUT', `/${OFF}/_doc/2?refresh=true`, { title: 'router', screenshot: await shot('Update the firmware') });
    const s = await (await fetch(`${p.url}/${OFF}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { match_all: {} }, ext: { vlrerank: { query: { text: 'reset the router' }, explain: true } } }) })).json() as any;
    expect(s.hits.hits).toHaveLength(2);
    for (const h of s.hits.hits) expect(h._vlrerank.explanation.signals.map((x: any) => x.name), h._id).not.toContain('ocr_text');
    expect(s.vlrerank.degraded).toBe(false);
    expect(await runs()).toBe(before);

    // the pipeline beside it, default weights: OCR made at ingest and kept in the record
    expect((await put(ON, '1', { screenshot: await shot('Reset your router') })).status).toBe(201);
    expect((await record(ON, '1')).image.ocr.t.replace(/\s+/g, '')).toBe('Resetyourrouter');
    expect(await runs()).toBeGreaterThan(before);
  });
});
