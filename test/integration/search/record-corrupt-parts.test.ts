/**
 * Feature records that carry this configuration's keys and the document's content hash but whose
 * vectors are not what a model gives — cut short, past the end of a float16, not finite, not of unit
 * length — or whose stored bytes cannot be unpacked at all, on Elasticsearch 8.19 and OpenSearch
 * 2.19 (the record field written around the proxy, as a bad restore or a hand-made bulk would).
 * Held-out probe round 13e: the record passed the key and content checks and its vectors were used
 * as they were — the document scored 0.000001 (a NaN or a cosine against nothing clamped by the
 * calibration) or 0.999999 (a vector three times too long) where a fresh process gives 0.97, and a
 * record that could not be unpacked was taken for "no record": not counted, no reason. Now each
 * such part is rejected with its reason, counted, computed as if absent — the same score as a
 * fresh process — and written back (the record field then holds a usable record again).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { contentId, decodeVector, encodeVector, packRecord, parseRecord, unpackRecord, type FeatureRecord } from '../../../src/features/record/index.js';
import { clientSearch, ENGINES, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p13e-corrupt-parts';
const TWIN = 'p13e-corrupt-parts-twin';
const FIELD = 'vlrerank_features';
const PIPELINES = { 'p13e-bad.yaml': `name: p13e-bad\nindex_patterns: [p13e-corrupt-*]\nfailure: fail_open\nfields: {text: [title]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: index, write_back: true}\n` };
const TITLES = ['Vitamin D deficiency is common in older adults.', 'Vitamin D and bone density in the elderly.', 'Iron deficiency causes anaemia.', 'Vitamin C does not prevent colds.', 'Vitamin B12 in vegans.', 'Vitamin A and night vision.', 'Vitamin K and blood clotting.', 'Vitamin E as an antioxidant.'];
const ask = { size: 10, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'vitamin d' }, explain: true } } };

/** One corruption per document (0 is left alone). */
const corrupt: Array<[string, (r: FeatureRecord) => unknown]> = [
  ['cut short', (r) => ({ ...r, text: { ...r.text!, p: encodeVector(decodeVector(r.text!.p).slice(0, 10)) } })],
  ['empty vector', (r) => ({ ...r, text: { ...r.text!, p: '' } })],
  ['not finite', (r) => ({ ...r, text: { ...r.text!, p: encodeVector(decodeVector(r.text!.p).map((x, i) => (i === 0 ? Number.NaN : x))) } })],
  ['not of unit length', (r) => ({ ...r, text: { ...r.text!, p: encodeVector(decodeVector(r.text!.p).map((x) => 3 * x)) } })],
  ['all zeros', (r) => ({ ...r, text: { ...r.text!, p: encodeVector(new Float32Array(decodeVector(r.text!.p).length)) } })],
];

describe.each(ENGINES)('feature records with unusable vectors or bytes, on %s', (engine) => {
  let p: SearchProxy;
  const scores = (r: any) => Object.fromEntries(r.hits.hits.map((h: any) => [h._id, h._vlrerank.rerank_score as number]));
  const sources = (r: any) => Object.fromEntries(r.hits.hits.map((h: any) => [h._id, h._vlrerank.explanation.features.text as string]));
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES) });
    for (const i of [INDEX, TWIN]) {
      await p.engine.json('DELETE', `/${i}`);
      await setupIndex(p.engine, p.pipelines.get('p13e-bad')!, i);
    }
    for (const [i, title] of TITLES.entries()) {
      const w = await fetch(`${p.url}/${INDEX}/_doc/${i}?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title }) });
      expect(w.status).toBe(201);
      await p.engine.json('PUT', `/${TWIN}/_doc/${i}?refresh=true`, { title }); // around the proxy: no record, computed by the search
    }
  }, 300_000);
  afterAll(async () => {
    for (const i of [INDEX, TWIN]) await p?.engine.json('DELETE', `/${i}`);
    await p?.close();
  });

  it('each unusable part is computed again — the fresh score — counted, and its record written back usable', { timeout: 300_000 }, async () => {
    const stored = async (id: number) => unpackRecord((await p.engine.json<any>('GET', `/${INDEX}/_doc/${id}?stored_fields=${FIELD}`)).body.fields?.[FIELD]);
    const good = parseRecord(await stored(0)).record!;
    expect(good.text?.h).toBe(contentId(TITLES[0]!));
    for (const [k, [, f]] of corrupt.entries()) {
      const own = parseRecord(await stored(k + 1)).record!;
      await p.engine.json('POST', `/${INDEX}/_update/${k + 1}`, { doc: { [FIELD]: packRecord(f(own) as FeatureRecord) } });
    }
    // bytes that are no packed record: not deflate, and a packed record cut in half
    await p.engine.json('POST', `/${INDEX}/_update/${corrupt.length + 1}`, { doc: { [FIELD]: Buffer.from('not a packed record at all').toString('base64') } });
    const cut = packRecord(parseRecord(await stored(corrupt.length + 2)).record!);
    await p.engine.json('POST', `/${INDEX}/_update/${corrupt.length + 2}`, { doc: { [FIELD]: cut.slice(0, 4 * Math.floor(cut.length / 8)) } });
    await p.engine.json('POST', `/${INDEX}/_refresh`);
    const kept = await Promise.all(TITLES.map((_, i) => stored(i)));

    const fresh = await clientSearch(engine, p.url, { index: TWIN, body: ask });
    const got = await clientSearch(engine, p.url, { index: INDEX, body: ask });
    expect(got.vlrerank.degraded).toBe(false);
    expect(Object.keys(scores(got)).length).toBe(TITLES.length);
    const want = scores(fresh);
    for (const [id, s] of Object.entries(scores(got))) expect(s, `document ${id}`).toBeCloseTo(want[id]!, 5);
    // the intact record served; every other was computed
    expect(sources(got)).toEqual(Object.fromEntries(TITLES.map((_, i) => [String(i), i === 0 ? 'index' : expect.not.stringMatching(/^index$/)])));
    // counted, each with its reason (the library's report of the same records)
    const documents = TITLES.map((text) => ({ text }));
    const alone = await p.reranker.process({ query: { text: 'vitamin d' }, documents });
    const withRecords = await p.reranker.process({ query: { text: 'vitamin d' }, documents }, { records: kept });
    expect(withRecords.usage.records).toMatchObject({ used: 1, rejected: TITLES.length - 1 });
    expect(withRecords.usage.records?.first_rejection).toMatch(/^documents\[1\]: .*vector/);
    expect(withRecords.scores).toEqual(alone.scores);
    for (let i = 1; i < TITLES.length; i++) {
      const one = await p.reranker.process({ query: { text: 'vitamin d' }, documents: [documents[i]!] }, { records: [kept[i]] });
      expect(one.usage.records?.rejected, `document ${i}`).toBe(1);
      expect(one.usage.records?.first_rejection, `document ${i}`).toMatch(i === 6 || i === 7 ? /stored record cannot be unpacked/ : /vector/);
    }

    // written back: each record is usable again, and the next search reads them all
    await p.srv.services.writeBack!.idle();
    await p.engine.json('POST', `/${INDEX}/_refresh`);
    for (let i = 1; i < TITLES.length; i++) expect(parseRecord(await stored(i)).record?.text?.h, `document ${i}`).toBe(contentId(TITLES[i]!));
    const again = await clientSearch(engine, p.url, { index: INDEX, body: ask });
    expect(Object.values(sources(again))).toEqual(TITLES.map(() => 'index'));
    for (const [id, s] of Object.entries(scores(again))) expect(s, `document ${id}`).toBeCloseTo(want[id]!, 5);
  });
});
