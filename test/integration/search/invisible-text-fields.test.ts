/**
 * Held-out probe round 28b: a product whose title holds nothing visible — zero-width spaces, control
 * characters, an array of such strings — was scored as the empty text (bge's cosine of "banana" with
 * nothing, calibrated ~0.01) at ingest (its feature record) and at search, so the banana's photo
 * scored 0.055 where the same product with a title of spaces (already skipped) or none scored 0.684,
 * and a product of such a title alone got a score instead of being named unscored. The query text
 * was already held to the same test (util/visible-text.ts, round 7); now a document's text is too.
 * Elasticsearch 8.19 and OpenSearch 2.19, the real models, the Grocery banana photo, written through
 * the proxy with feature records (`features.store: index`) and into an index without records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';
import { ENGINES, GROCERY_DIR } from '../../helpers/search-fixtures.js';

const RECORDS = 'p28b-t-invisible-rec';
const PLAIN = 'p28b-t-invisible-plain';
const BANANA = 'iconic-images-and-descriptions/Fruit/Banana/Banana_Iconic.jpg';
const DOCS: Record<string, Record<string, unknown>> = {
  photo_only: { image: BANANA },
  spaces: { title: ' \n\t ', image: BANANA },
  zero_width: { title: '\u200b\u200b', image: BANANA },
  controls: { title: '\u0001\u0002\u0003', image: BANANA },
  invisible_array: { title: ['', ' ', '\u200b\ufeff'], image: BANANA },
  named: { title: 'Banana', image: BANANA },
  named_among_invisible: { title: ['\u200b', 'Banana', '\u0007'], image: BANANA },
  nothing_visible: { title: '\u200b\u0007' },
};

describe.each(ENGINES)('a title of nothing visible on %s', (engineName) => {
  let engine: string;
  let srv: RunningServer;
  const pipeline = (name: string, index: string, store: string) =>
    `name: ${name}\nindex_patterns: [${index}]\nfields: {text: [title], image: [image], media_base: ${GROCERY_DIR}}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: ${store}}\nbudget_ms: 300000\n`;

  beforeAll(async () => {
    engine = await useEngine(engineName);
    for (const index of [RECORDS, PLAIN]) await fetch(`${engine}/${index}`, { method: 'DELETE' });
    srv = await startEdgeServer({
      upstream: engine,
      pipelinesDir: onlyPipelines({ 'rec.yaml': pipeline('p28b-t-rec', RECORDS, 'index'), 'plain.yaml': pipeline('p28b-t-plain', PLAIN, 'none') }),
    });
    for (const index of [RECORDS, PLAIN]) {
      const record = { _source: { excludes: ['vlrerank_features', 'vlrerank_features_key'] }, properties: { vlrerank_features: { type: 'binary', store: true }, vlrerank_features_key: { type: 'keyword' } } };
      const mappings = { ...(index === RECORDS ? record : {}), properties: { title: { type: 'text' }, image: { type: 'keyword' }, ...(index === RECORDS ? record.properties : {}) } };
      expect((await fetch(`${engine}/${index}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mappings }) })).status).toBe(200);
      const nd = Object.entries(DOCS).map(([id, d]) => `${JSON.stringify({ index: { _index: index, _id: id } })}\n${JSON.stringify(d)}\n`).join('');
      const b = await fetch(`${srv.url}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
      expect(((await b.json()) as { errors: boolean }).errors).toBe(false);
    }
  }, 300_000);

  afterAll(async () => {
    await srv?.close();
    for (const index of [RECORDS, PLAIN]) await fetch(`${engine}/${index}`, { method: 'DELETE' });
  });

  it.each([RECORDS, PLAIN])('%s: such a title is no text — the photo scores alone, a product of nothing else is named unscored', { timeout: 300_000 }, async (index) => {
    const r = await fetch(`${srv.url}/${index}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: 20, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'banana' }, explain: true } } }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as any;
    const hits = Object.fromEntries(body.hits.hits.map((h: any) => [h._id, h]));
    if (index === RECORDS) expect(hits.photo_only._vlrerank.explanation.features.image).toBe('index'); // scored from the record made at ingest
    const photo = hits.photo_only._vlrerank.rerank_score;
    expect(photo).toBeGreaterThan(0.5);
    for (const id of ['spaces', 'zero_width', 'controls', 'invisible_array']) {
      expect(hits[id]._vlrerank.explanation.modalities.document, id).toEqual(['image']);
      expect(hits[id]._vlrerank.rerank_score, id).toBe(photo);
    }
    expect(hits.named_among_invisible._vlrerank.rerank_score).toBe(hits.named._vlrerank.rerank_score);
    expect(hits.nothing_visible._vlrerank.error).toBe('its pipeline fields hold nothing to score (no visible text, no media path or URL)');
    expect(body.vlrerank.unscored).toEqual({ count: 1, first: `hit [nothing_visible]: ${hits.nothing_visible._vlrerank.error}` });
  });
});
