/**
 * Held-out probe round 29b: one index may hold several documents of one `_id`, each under its own
 * custom routing (on its own shard). A pipeline field outside `_source` (here a `copy_to` target)
 * is read from the engine per hit (search/field-values.ts) — keyed by index and `_id` alone, one
 * document's value was read for both: the banana's hit scored on the milk's text (0.120, where the
 * same document under an id of its own scores 0.832). Each hit is now scored on its own document.
 * Elasticsearch 8.19 and OpenSearch 2.19, the real models, Grocery photos.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';
import { DATA } from '../../helpers/paths.js';
import { postJson } from '../../helpers/rerank-server.js';
import { ENGINES } from '../../helpers/search-fixtures.js';

const G = join(DATA, 'grocery-store-products', 'iconic-images-and-descriptions');
const INDEX = 'p29b-t-routing';
// four shards: the routings r1 and r4 put the two `X`s on different shards (checked: both are created)
const MAPPINGS = { properties: { label: { type: 'text', copy_to: 'all_text' }, all_text: { type: 'text', store: true }, img: { type: 'keyword' } } };
const DOCS = [
  { id: 'X', routing: 'r1', doc: { label: 'a banana', img: 'Fruit/Banana/Banana_Iconic.jpg' } },
  { id: 'X', routing: 'r4', doc: { label: 'a carton of milk', img: 'Packages/Milk/Arla-Standard-Milk/Arla-Standard-Milk_Iconic.jpg' } },
  { id: 'banana', routing: undefined, doc: { label: 'a banana', img: 'Fruit/Banana/Banana_Iconic.jpg' } },
  { id: 'milk', routing: undefined, doc: { label: 'a carton of milk', img: 'Packages/Milk/Arla-Standard-Milk/Arla-Standard-Milk_Iconic.jpg' } },
];

describe.each(ENGINES)('documents of one _id under two routings, on %s', (engineName) => {
  let engine: string;
  let srv: RunningServer;
  beforeAll(async () => {
    engine = await useEngine(engineName);
    await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
    const made = await fetch(`${engine}/${INDEX}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ settings: { number_of_shards: 4, number_of_replicas: 0 }, mappings: MAPPINGS }) });
    expect(made.status).toBe(200);
    const lines = DOCS.flatMap((d) => [{ create: { _id: d.id, ...(d.routing ? { routing: d.routing } : {}) } }, d.doc]);
    const bulk = await postJson(engine, `/${INDEX}/_bulk?refresh=true`, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(bulk.json.items.map((it: any) => it.create.status)).toEqual([201, 201, 201, 201]);
    const pipe = `name: p29b-t-routing\nindex_patterns: [${INDEX}]\nfields: {text: [all_text], image: [img], media_base: ${G}}\nfeatures: {store: none}\nfailure: fail_open\nbudget_ms: 300000\n`;
    srv = await startEdgeServer({ upstream: engine, pipelinesDir: onlyPipelines({ 'routing.yaml': pipe }) });
  }, 300_000);

  afterAll(async () => {
    await srv?.close();
    await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
  });

  it('each hit is scored on its own document, as the same document under an id of its own', { timeout: 300_000 }, async () => {
    const r = await postJson(srv.url, `/${INDEX}/_search`, { size: 10, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'banana' }, explain: true } } });
    expect(r.status).toBe(200);
    expect(r.json.vlrerank.degraded).toBe(false);
    const score = (id: string, routing?: string) => r.json.hits.hits.find((h: any) => h._id === id && h._routing === routing)?._score;
    expect(r.json.hits.hits).toHaveLength(4);
    expect(score('X', 'r1')).toBeCloseTo(score('banana'), 6);
    expect(score('X', 'r4')).toBeCloseTo(score('milk'), 6);
    expect(score('banana')).toBeGreaterThan(score('milk') + 0.1);
    for (const h of r.json.hits.hits) expect(h._vlrerank.explanation.modalities.document, `${h._id} ${h._routing}`).toEqual(['text', 'image']);
  });
});
