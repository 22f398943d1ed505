/**
 * Held-out probe round 29b: a catalog imported from a spreadsheet keeps its column names — field
 * names with spaces and accents (`nom du produit`, `médias.photo principale`), legal in both
 * engines. A pipeline naming them was refused at start ("must be a dotted field path without
 * spaces"); now it loads, and a document written with the fields as nested objects, as literal
 * dotted keys or mixed gets its record at ingest and is scored on its text and its photo, the same
 * each way. Elasticsearch 8.19 and OpenSearch 2.19, the real models, a Grocery photo.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { catalog, clientBulk, clientSearch, groceryDoc, pipelinesDir, startSearchProxy, ENGINES, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p29b-t-spaced';
const PIPELINE = `name: p29bspaced
index_patterns: [${INDEX}]
fields:
  text: ["nom du produit", "méta.titre"]
  image: ["médias.photo principale"]
features: { store: index }
`;

describe.each(ENGINES)('pipeline fields named with spaces and accents, on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'p29bspaced.yaml': PIPELINE }) });
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('p29bspaced')!, INDEX);
    await p.reranker.warm.wait();
  }, 600_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('each shape of the same document gets its record and the same score, on its text and photo', { timeout: 600_000 }, async () => {
    const g = groceryDoc(catalog[0]!) as { title: string; description: string; image: string };
    const docs = {
      nested: { 'nom du produit': g.title, méta: { titre: g.description }, médias: { 'photo principale': g.image } },
      dotted: { 'nom du produit': g.title, 'méta.titre': g.description, 'médias.photo principale': g.image },
      mixed: { 'nom du produit': g.title, méta: { titre: g.description }, 'médias.photo principale': g.image },
    };
    const bulk = await clientBulk(engine, p.url, Object.entries(docs).flatMap(([id, d]) => [{ index: { _index: INDEX, _id: id } }, d]));
    expect(bulk.errors).toBe(false);
    const stored = await p.engine.json<any>('POST', `/${INDEX}/_search`, { stored_fields: ['vlrerank_features'], query: { match_all: {} } });
    for (const h of stored.body.hits.hits) expect(h.fields?.vlrerank_features, h._id).toBeDefined();
    const r = await clientSearch(engine, p.url, { index: INDEX, body: { query: { match_all: {} }, ext: { vlrerank: { query: { text: g.title }, explain: true } } } });
    expect(r.hits.hits).toHaveLength(3);
    for (const h of r.hits.hits) {
      expect(h._vlrerank.explanation.modalities.document, h._id).toEqual(['text', 'image']);
      expect(h._vlrerank.explanation.features, h._id).toEqual({ text: 'index', image: 'index' });
      expect(h._score, h._id).toBeCloseTo(r.hits.hits[0]._score, 6);
    }
  });
});
