/**
 * Records already in an index when the configuration or the build changes, on Elasticsearch 8.19
 * and OpenSearch 2.19 (held-out probe round 13e, "change day"):
 * - OCR turned off after records were made with it: their image parts still serve every search
 *   whole, yet `index backfill` found them by signature and computed them again — without OCR, so
 *   turning OCR back on had to run it once more. Now such a record keeps its parts and gets this
 *   configuration's signature only (counted `current`, nothing computed).
 * - A record written by a newer build (a feature-schema version past this one's): never used, and a
 *   search's write-back replaced it with this build's — a downgrade for the newer build, and two
 *   builds side by side would rewrite each other's records at every search. Now write-back leaves
 *   it (`outcome="newer"`); `index backfill`, run on purpose, replaces it and says how many.
 * - Two replicas of two configurations on one index: each search's write-back replaced the other's
 *   records, at every search (no model run — their tiers kept both — but every hit rewritten). Now a
 *   replica that finds a document it wrote lately holding the other's record of the same content
 *   leaves it (`outcome="contested"`): each writes once.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { packRecord, parseRecord, unpackRecord, type FeatureRecord } from '../../../src/features/record/index.js';
import { backfillRecords } from '../../../src/ingest/backfill-records.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { DATA } from '../../helpers/paths.js';
import { testReranker } from '../../helpers/reranker.js';
import { clientSearch, ENGINES, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const PHOTOS = 'p13e-change-photos';
const TEXTS = 'p13e-change-texts';
const TWO = 'p13e-change-two';
const FIELD = 'vlrerank_features';
const KEY = 'vlrerank_features_key';
const PIPELINES = {
  'p13e-photos.yaml': `name: p13e-photos\nindex_patterns: [${PHOTOS}]\nfailure: fail_open\nfields: {text: [caption], image: [image]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nvectors: {ingest: true, image: {field: image_vector, dims: 1280}, bridge: {field: image_text_vector, dims: 384}}\nfeatures: {store: index}\n`,
  'p13e-texts.yaml': `name: p13e-texts\nindex_patterns: [${TEXTS}, ${TWO}]\nfailure: fail_open\nfields: {text: [title]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: index, write_back: true}\n`,
};
/** The same pipeline with its texts in chunks: other text keys, so other records. */
const CHUNKED = { 'p13e-texts.yaml': PIPELINES['p13e-texts.yaml'].replace('fields:', 'scorer: {chunking: {max_tokens: 64, overlap: 16}}\nfields:') };
const IMAGES = join(DATA, 'coco-captions-mini/images/val2017');
const DOCS = [
  { caption: 'A stop sign on a street corner.', image: join(IMAGES, '000000354072.jpg') },
  { caption: 'A dog tied to a fire hydrant.', image: join(IMAGES, '000000377575.jpg') },
];

describe.each(ENGINES)('records kept in the index when the configuration or the build changes, on %s', (engine) => {
  let p: SearchProxy;
  const stored = async (index: string, id: string) => {
    const r = await p.engine.json<any>('GET', `/${index}/_doc/${id}?stored_fields=${FIELD}`);
    return { record: unpackRecord(r.body.fields?.[FIELD]) as FeatureRecord | undefined };
  };
  const metric = async (outcome: string, url = p.url) => Number(new RegExp(`^vlrerank_record_write_back_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(await (await fetch(`${url}/_vlrerank/metrics`)).text())?.[1] ?? 0);
  beforeAll(async () => {
    // the server makes records with OCR
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES), rerank: { ocr: true } });
    for (const [index, name] of [[PHOTOS, 'p13e-photos'], [TEXTS, 'p13e-texts']] as const) {
      await p.engine.json('DELETE', `/${index}`);
      await setupIndex(p.engine, p.pipelines.get(name)!, index);
    }
  }, 300_000);
  afterAll(async () => {
    for (const i of [PHOTOS, TEXTS, TWO]) await p?.engine.json('DELETE', `/${i}`);
    await p?.close();
  });

  it('OCR turned off: backfill keeps the records made with it (its signature stamped, the record as it was)', { timeout: 600_000 }, async () => {
    for (const [i, d] of DOCS.entries()) {
      const w = await fetch(`${p.url}/${PHOTOS}/_doc/${i}?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(d) });
      expect(w.status).toBe(201);
    }
    const before = await Promise.all(DOCS.map((_, i) => stored(PHOTOS, String(i))));
    for (const s of before) expect(s.record?.image?.ocr).toBeDefined();
    // the same models and settings without OCR, as a replica started with rerank.ocr: false
    const plain = testReranker();
    try {
      const pipeline = p.pipelines.get('p13e-photos')!;
      const embedder = new RerankerEmbedder(plain);
      const r = await backfillRecords(p.engine, pipeline, PHOTOS, embedder);
      expect(r).toMatchObject({ total: DOCS.length, recorded: 0, current: DOCS.length, failed: 0 });
      const signature = await embedder.recordSignature({ image: true, video: false, queryVectors: true, sources: { text: ['caption'], image: ['image'], video: [] } });
      for (const [i, b] of before.entries()) {
        const now = await stored(PHOTOS, String(i));
        expect(now.record, `document ${i}`).toEqual(b.record); // OCR kept, nothing rewritten
      }
      const signed = await p.engine.json<any>('POST', `/${PHOTOS}/_count`, { query: { term: { [KEY]: signature } } });
      expect(signed.body.count).toBe(DOCS.length);
      // nothing left to do for either configuration's run
      expect(await backfillRecords(p.engine, pipeline, PHOTOS, embedder)).toMatchObject({ total: 0 });
    } finally {
      await plain.close();
    }
  });

  it('a newer build\'s record is not downgraded by write-back; backfill replaces it and counts it', { timeout: 300_000 }, async () => {
    const title = 'Vitamin D deficiency is common in older adults.';
    // through the proxy: this build's record, then made a newer build's (version 2, an extra part)
    await fetch(`${p.url}/${TEXTS}/_doc/1?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title }) });
    const own = parseRecord((await stored(TEXTS, '1')).record).record!;
    const future = { ...own, v: 2, extra: { k: 'next' } };
    await p.engine.json('POST', `/${TEXTS}/_update/1?refresh=true`, { doc: { [FIELD]: packRecord(future as unknown as FeatureRecord), [KEY]: 'from-a-newer-build' } });

    const ask = { size: 3, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'vitamin d' }, explain: true } } };
    const r = await clientSearch(engine, p.url, { index: TEXTS, body: ask });
    expect(r.hits.hits[0]._vlrerank.explanation.features.text).not.toBe('index'); // never used
    await p.srv.services.writeBack!.idle();
    expect(await metric('newer')).toBe(1);
    expect(await metric('written')).toBe(0);
    expect((await stored(TEXTS, '1')).record).toEqual(future); // not downgraded

    // the operator's backfill (after a roll-back) replaces it with this build's, and says so
    const b = await backfillRecords(p.engine, p.pipelines.get('p13e-texts')!, TEXTS, new RerankerEmbedder(p.reranker));
    expect(b).toMatchObject({ total: 1, recorded: 1, replacedNewer: 1 });
    expect((await stored(TEXTS, '1')).record).toEqual(own);
  });

  it('two replicas of two configurations on one index stop rewriting each other\'s records', { timeout: 600_000 }, async () => {
    const other = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(CHUNKED) });
    try {
      await p.engine.json('DELETE', `/${TWO}`);
      await setupIndex(p.engine, p.pipelines.get('p13e-texts')!, TWO);
      const titles = ['Vitamin D deficiency is common in older adults.', 'Vitamin D and bone density.', 'Iron deficiency causes anaemia.'];
      for (const [i, title] of titles.entries()) await p.engine.json('PUT', `/${TWO}/_doc/${i}`, { title }); // around the proxy: no record
      await p.engine.json('POST', `/${TWO}/_refresh`);
      const ask = { size: 10, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'vitamin d' }, explain: true } } };
      const seen: Record<string, number[][]> = { [p.url]: [], [other.url]: [] };
      for (let round = 0; round < 3; round++) {
        for (const q of [p, other]) {
          const r = await clientSearch(engine, q.url, { index: TWO, body: ask });
          seen[q.url]!.push(r.hits.hits.map((h: any) => h._score));
          await q.srv.services.writeBack!.idle();
          await p.engine.json('POST', `/${TWO}/_refresh`);
        }
      }
      // each wrote the three records once (before: at every search, 9 each); then left them to the other
      expect(await metric('written')).toBe(titles.length);
      expect(await metric('written', other.url)).toBe(titles.length);
      expect(await metric('contested')).toBe(2 * titles.length);
      // and never used the other's: the same scores every round
      for (const rounds of Object.values(seen)) for (const r of rounds) expect(r).toEqual(rounds[0]);
    } finally {
      await other.close();
    }
  });
});
