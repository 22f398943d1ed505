/**
 * Feature records refused by a reranked search are counted and explained, on Elasticsearch 8.19
 * and OpenSearch 3.6 (records written around the proxy, as a bad restore or a hand-made bulk would).
 * Held-out probe round 13e, left: a search did not report the record parts it refused and
 * recomputed (the library's `usage.records` did), no metric counted them; and a text part of unit
 * vectors of another length than the model's (10 values for bge-small's 384), with this
 * configuration's key and the document's hash, was used and scored ~0 (a NaN clamped to 0.000001).
 * Now each refused part is counted in `vlrerank_feature_records_total{outcome="rejected",reason}`,
 * named in its hit's explanation (`records.rejected`), and the part of another dimension is refused
 * and computed again — the score of a fresh process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { encodeVector, packRecord, parseRecord, unpackRecord, type FeatureRecord } from '../../../src/features/record/index.js';
import { counterSum } from '../../helpers/metrics.js';
import { clientSearch, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'f13g-rejections';
const TWIN = 'f13g-rejections-twin';
const FIELD = 'vlrerank_features';
const PIPELINES = { 'f13g-rej.yaml': `name: f13g-rej\nindex_patterns: [f13g-rejections*]\nfailure: fail_open\nfields: {text: [title]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: index, write_back: false}\n` };
const TITLES = ['Vitamin D deficiency is common in older adults.', 'Vitamin D and bone density in the elderly.', 'Iron deficiency causes anaemia.', 'Vitamin C does not prevent colds.', 'Vitamin B12 in vegans.'];
const ask = { size: 10, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'vitamin d' }, explain: true } } };
const unit10 = encodeVector(new Float32Array(10).fill(1 / Math.sqrt(10)));

/** Document 0 is left alone; each other one is refused for one reason. */
const spoil: Array<[string, (r: FeatureRecord) => unknown]> = [
  ['other_config', (r) => ({ ...r, text: { ...r.text!, k: 'made-elsewhere' } })],
  ['other_dimension', (r) => ({ ...r, text: { k: r.text!.k, h: r.text!.h, p: unit10 } })],
  ['newer', (r) => ({ ...r, v: 2 })],
  ['unreadable', () => 'not a packed record'],
];

describe.each(['elasticsearch', 'opensearch3'] as const)('refused feature records counted and explained, on %s', (engine) => {
  let p: SearchProxy;
  const byId = (r: any) => Object.fromEntries(r.hits.hits.map((h: any) => [h._id, h._vlrerank]));
  const rejected = (reason: string) => counterSum(p.url, 'vlrerank_feature_records_total', { outcome: 'rejected', reason });
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES) });
    for (const i of [INDEX, TWIN]) {
      await p.engine.json('DELETE', `/${i}`);
      await setupIndex(p.engine, p.pipelines.get('f13g-rej')!, i);
    }
    for (const [i, title] of TITLES.entries()) {
      const w = await fetch(`${p.url}/${INDEX}/_doc/${i}?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title }) });
      expect(w.status).toBe(201);
      await p.engine.json('PUT', `/${TWIN}/_doc/${i}?refresh=true`, { title });
    }
  }, 300_000);
  afterAll(async () => {
    for (const i of [INDEX, TWIN]) await p?.engine.json('DELETE', `/${i}`);
    await p?.close();
  });

  it('each refused part is counted by reason, named in its hit\'s explanation, and computed (the fresh score)', { timeout: 300_000 }, async () => {
    const stored = async (id: number) => unpackRecord((await p.engine.json<any>('GET', `/${INDEX}/_doc/${id}?stored_fields=${FIELD}`)).body.fields?.[FIELD]);
    for (const [k, [, f]] of spoil.entries()) {
      const own = parseRecord(await stored(k + 1)).record!;
      expect(own.text?.p).toBeDefined();
      const x = f(own);
      await p.engine.json('POST', `/${INDEX}/_update/${k + 1}`, { doc: { [FIELD]: typeof x === 'string' ? Buffer.from(x).toString('base64') : packRecord(x as FeatureRecord) } });
    }
    await p.engine.json('POST', `/${INDEX}/_refresh`);
    const before = Object.fromEntries(await Promise.all(spoil.map(async ([reason]) => [reason, await rejected(reason)] as const)));
    const usedBefore = await counterSum(p.url, 'vlrerank_feature_records_total', { outcome: 'used' });

    const fresh = byId(await clientSearch(engine, p.url, { index: TWIN, body: ask }));
    const got = byId(await clientSearch(engine, p.url, { index: INDEX, body: ask }));
    expect(Object.keys(got).length).toBe(TITLES.length);
    for (const [id, v] of Object.entries<any>(got)) expect(v.rerank_score, `document ${id}`).toBeCloseTo(fresh[id].rerank_score, 5);
    // the part of 10 values scored ~0 before: refused, computed, the fresh score (0.45)
    expect(got['2'].rerank_score).toBeGreaterThan(0.1);
    expect(got['0'].explanation.features.text).toBe('index');
    expect(got['0'].explanation.records).toBeUndefined();
    for (const [k, [reason]] of spoil.entries()) {
      const e = got[String(k + 1)].explanation;
      expect(e.features.text, reason).not.toBe('index');
      expect(e.records?.rejected, reason).toEqual([expect.stringMatching(new RegExp(`^${reason}: documents\\[\\d+\\]`))]);
      expect(await rejected(reason), reason).toBe(before[reason]! + 1);
    }
    expect(await counterSum(p.url, 'vlrerank_feature_records_total', { outcome: 'used' })).toBe(usedBefore + 1);
  });
});
