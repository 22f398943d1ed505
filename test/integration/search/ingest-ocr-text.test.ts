/**
 * `ingest.ocr_text` (feat23o): a screenshot's OCR text written into a text field of its own, so a
 * BM25 first stage finds it by the words in its picture. Held-out probe round 22a left it: OCR text
 * lived in the feature record only, so in a large knowledge base a screenshot never reached the
 * rerank window however well OCR scored it. Written through the proxy (`_bulk`, `_doc`) from the
 * record's own OCR text (no second OCR), mapped as `text` by `index setup`, filled by backfill (from a
 * record that has it: no model run), searched by the default BM25 first stage; a screenshot that
 * cannot be read is stored without it and its item says so; off by default, documents unchanged.
 * Elasticsearch 8.19 and OpenSearch 2.19, the real PP-OCRv4 and image models, text rendered by librsvg.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { backfillRecords } from '../../../src/ingest/backfill-records.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { counterSum } from '../../helpers/metrics.js';
import { screenshot, screenshotPipeline, screenshotPng } from '../../helpers/screenshots.js';
import { ENGINES, freshIndex, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const ON = 'f23o-ocr-it';
const OFF = 'f23o-plain-it';
const WB = 'f23o-wb-it';
const OCR_FIELD = 'screenshot_text';
const pipeline = screenshotPipeline;
const PIPELINES = {
  'f23o-ocr.yaml': pipeline('f23o-ocr', ON, `ingest: { ocr_text: ${OCR_FIELD} }\n`),
  'f23o-plain.yaml': pipeline('f23o-plain', OFF),
  'f23o-wb.yaml': pipeline('f23o-wb', WB, `ingest: { ocr_text: ${OCR_FIELD} }\n`).replace('features: { store: index }', 'features: { store: index, write_back: true }'),
};

const shot = screenshot;
/** A screenshot cut short: the decoder cannot read it (a real unreadable file, not a fake). */
const truncated = async () => `data:image/png;base64,${(await screenshotPng('Lost words')).subarray(0, 200).toString('base64')}`;

describe.each(ENGINES)('ingest.ocr_text: a screenshot found by BM25 on its words (%s)', (engine) => {
  let p: SearchProxy;
  /** OCR model runs for one one-line screenshot (the detector's and the reader's), measured below. */
  let perShot = 0;
  const ocrRuns = () => counterSum(p.url, 'vlrerank_model_runs_total', { model: 'ppocr-v4-ch' });
  const source = async (index: string, id: string) => (await p.engine.json<any>('GET', `/${index}/_doc/${id}`)).body._source as Record<string, unknown>;
  const rawSource = async (index: string, id: string) => (await fetch(`${p.engineUrl}/${index}/_source/${id}`)).text();
  const matchIds = async (index: string, query: object) => {
    await p.engine.json('POST', `/${index}/_refresh`);
    const r = await p.engine.json<any>('POST', `/${index}/_search`, { query, _source: false });
    return (r.body.hits.hits as Array<{ _id: string }>).map((h) => h._id).sort();
  };
  const bulk = async (lines: object[]) => (await (await fetch(`${p.url}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' })).json()) as any;

  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES), rerank: { ocr: true } });
    await freshIndex(p, p.pipelines.get('f23o-ocr')!, ON);
    await freshIndex(p, p.pipelines.get('f23o-plain')!, OFF);
    await freshIndex(p, p.pipelines.get('f23o-wb')!, WB);
    await p.reranker.waitWarm({ cost: 0 });
  }, 300_000);
  afterAll(async () => {
    for (const i of [ON, OFF, WB]) await p?.engine.json('DELETE', `/${i}`);
    await p?.close();
  });

  it('index setup maps the OCR field as text', async () => {
    const m = await p.engine.json<any>('GET', `/${ON}/_mapping`);
    expect(m.body[ON].mappings.properties[OCR_FIELD]).toEqual({ type: 'text' });
    const off = await p.engine.json<any>('GET', `/${OFF}/_mapping`);
    expect(off.body[OFF].mappings.properties[OCR_FIELD]).toBeUndefined();
  });

  it('a screenshot written through the proxy is found by a BM25 match on words only in its picture; an unreadable one is stored without the field and its item says so', { timeout: 600_000 }, async () => {
    // OCR runs for one screenshot written where the setting is off (its record keeps the text)…
    let before = await ocrRuns();
    expect((await fetch(`${p.url}/${OFF}/_doc/ref?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Reference', screenshot: await shot('Reset your modem') }) })).status).toBe(201);
    const off = (await ocrRuns()) - before;
    expect(off).toBeGreaterThan(0);
    perShot = off;
    before = await ocrRuns();
    const r = await bulk([
      { index: { _index: ON, _id: 'router' } },
      { title: 'Release notes', screenshot: await shot('Reset your router') },
      { index: { _index: ON, _id: 'cut' } },
      { title: 'Broken upload', screenshot: await truncated() },
      { index: { _index: ON, _id: 'text' } },
      { title: 'A page with no picture' },
    ]);
    expect(r.errors).toBe(false);
    const [router, cut, text] = r.items.map((it: any) => it.index);
    expect(router.vlrerank).toBeUndefined();
    expect(cut.status).toBe(201); // stored…
    expect(cut.vlrerank.error.reason).toContain(`its OCR text [${OCR_FIELD}] not added`); // …and it says why
    expect(text.vlrerank).toBeUndefined();
    const runs = (await ocrRuns()) - before;

    expect(String((await source(ON, 'router'))[OCR_FIELD]).replace(/\s+/g, '')).toBe('Resetyourrouter');
    expect(await source(ON, 'cut')).not.toHaveProperty(OCR_FIELD);
    expect(await source(ON, 'text')).toEqual({ title: 'A page with no picture' }); // nothing to read: unchanged
    // "router" is in the picture only (the title does not hold it): BM25 finds it by the OCR field
    expect(await matchIds(ON, { match: { [OCR_FIELD]: 'router' } })).toEqual(['router']);
    expect(await matchIds(ON, { multi_match: { query: 'router', fields: ['title', OCR_FIELD] } })).toEqual(['router']);
    // …and as many where it is on: the record's OCR text is written, OCR never runs again for the field
    expect(runs).toBe(off);

    // a single-document write too
    expect((await fetch(`${p.url}/${ON}/_doc/cache?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Help', screenshot: await shot('Clear the browser cache') }) })).status).toBe(201);
    expect(await matchIds(ON, { match: { [OCR_FIELD]: 'browser' } })).toEqual(['cache']);

    // the pipeline's own BM25 first stage for a query text searches the OCR field beside the text fields
    const s = (await (await fetch(`${p.url}/${ON}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 5, ext: { vlrerank: { query: { text: 'router' } } } }) })).json()) as any;
    expect(s.hits.hits.map((h: any) => h._id)).toEqual(['router']);
    expect(s.hits.hits[0]._source).toHaveProperty(OCR_FIELD);
  });

  it('an _update that replaces the screenshot replaces its OCR text; one that does not keeps it', { timeout: 600_000 }, async () => {
    const update = async (doc: object) => (await fetch(`${p.url}/${ON}/_update/upd?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ doc }) })).json() as Promise<any>;
    expect((await fetch(`${p.url}/${ON}/_doc/upd?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Page', screenshot: await shot('Printer offline') }) })).status).toBe(201);
    expect(await matchIds(ON, { match: { [OCR_FIELD]: 'printer' } })).toEqual(['upd']);
    expect((await update({ screenshot: await shot('Scanner jammed') })).result).toBe('updated');
    expect(await matchIds(ON, { match: { [OCR_FIELD]: 'printer' } })).toEqual([]);
    expect(await matchIds(ON, { match: { [OCR_FIELD]: 'scanner' } })).toEqual(['upd']);
    expect((await update({ title: 'Page, edited' })).result).toBe('updated');
    expect(await matchIds(ON, { match: { [OCR_FIELD]: 'scanner' } })).toEqual(['upd']);
  });

  it('a record written back by a reranked search comes with the OCR text field', { timeout: 600_000 }, async () => {
    // written around the proxy: no record, no field; the search computes its features and writes them back
    await p.engine.json('PUT', `/${WB}/_doc/wb?refresh=true`, { title: 'Desk', screenshot: await shot('Mount the monitor') });
    const s = (await (await fetch(`${p.url}/${WB}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { match_all: {} }, ext: { vlrerank: { query: { text: 'monitor' } } } }) })).json()) as any;
    expect(s.hits.hits.map((h: any) => h._id)).toEqual(['wb']);
    await p.srv.services.writeBack!.idle();
    expect(await matchIds(WB, { match: { [OCR_FIELD]: 'monitor' } })).toEqual(['wb']);
  });

  it('backfill fills the field: from the record a document has (no OCR run), and for one written around the proxy', { timeout: 600_000 }, async () => {
    // documents written through the proxy under a pipeline without the setting: records with OCR, no field
    const shots = { 'old-a': await shot('Update the firmware'), 'old-b': await shot('Rotate the password') };
    const r = await bulk(Object.entries(shots).flatMap(([id, s]) => [{ index: { _index: OFF, _id: id } }, { title: 'Old page', screenshot: s }]));
    expect(r.errors).toBe(false);
    // one written around the proxy: no record at all
    await p.engine.json('PUT', `/${OFF}/_doc/around?refresh=true`, { title: 'Old page', screenshot: await shot('Restart the gateway') });
    expect(await matchIds(OFF, { match: { [OCR_FIELD]: 'firmware' } })).toEqual([]);

    // the setting turned on for that index (its pipeline with ingest.ocr_text): setup adds the field's mapping
    const on = { ...p.pipelines.get('f23o-ocr')!, index_patterns: [OFF] };
    await setupIndex(p.engine, on, OFF);
    const docs = (await p.engine.json<any>('POST', `/${OFF}/_count`, { query: { match_all: {} } })).body.count as number; // with `ref` of the test before
    const before = await ocrRuns();
    const first = await backfillRecords(p.engine, on, OFF, new RerankerEmbedder(p.reranker));
    expect(first.total).toBe(docs); // every record stale once: the signature holds the field now
    expect(first.recorded + first.current).toBe(docs);
    expect(first.failed).toBe(0);
    expect((await ocrRuns()) - before).toBe(perShot); // the record-less one only: the others' text came from their records
    expect(await matchIds(OFF, { match: { [OCR_FIELD]: 'firmware' } })).toEqual(['old-a']);
    expect(await matchIds(OFF, { match: { [OCR_FIELD]: 'password' } })).toEqual(['old-b']);
    expect(await matchIds(OFF, { match: { [OCR_FIELD]: 'gateway' } })).toEqual(['around']);
    // done: a second run finds nothing to do
    expect((await backfillRecords(p.engine, on, OFF, new RerankerEmbedder(p.reranker))).total).toBe(0);
  });

  it('off by default: a document written through the proxy is stored as the engine stores it sent directly', { timeout: 600_000 }, async () => {
    const doc = { title: 'Plain "page"', n: 1.50, screenshot: await shot('Check the cables') };
    const body = JSON.stringify(doc).replace('1.5', '1.50'); // a number spelling the proxy must keep
    expect((await fetch(`${p.url}/${OFF}/_doc/via?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body })).status).toBe(201);
    expect((await fetch(`${p.engineUrl}/${OFF}/_doc/direct?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body })).status).toBe(201);
    expect(await rawSource(OFF, 'via')).toBe(await rawSource(OFF, 'direct'));
    expect(await source(OFF, 'via')).not.toHaveProperty(OCR_FIELD);
  });
});
