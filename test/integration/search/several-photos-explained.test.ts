/**
 * Held-out probe round 20b: a product with several photos is ranked on its first (pipelines/README.md
 * says so), and nothing in an explained search said which photo was scored or that the others were
 * not — a product whose giraffe is its second photo scored as its pizza, unexplained. Each such hit's
 * `_vlrerank.media` now names the photo scored and how many it has. Elasticsearch 8.19 and
 * OpenSearch 2.19, the real models, COCO photos, an array of strings and an array of objects.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';
import { DATA } from '../../helpers/paths.js';
import { ENGINES } from '../../helpers/search-fixtures.js';

const INDEX = 'p20b-t-photos';
const GIRAFFE = 'images/val2017/000000101780.jpg';
const PIZZA = 'images/val2017/000000092660.jpg';
const DOCS: Record<string, Record<string, unknown>> = {
  giraffe: { title: 'item', media: { image: GIRAFFE } },
  giraffe_first: { title: 'item', media: { image: [GIRAFFE, PIZZA] } },
  pizza_first: { title: 'item', media: [{ image: PIZZA }, { image: GIRAFFE }] },
};

describe.each(ENGINES)('several photos of one product, explained, on %s', (engineName) => {
  let engine: string;
  let srv: RunningServer;

  beforeAll(async () => {
    engine = await useEngine(engineName);
    await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
    const body = JSON.stringify({ mappings: { properties: { title: { type: 'text' }, media: { properties: { image: { type: 'keyword' } } } } } });
    expect((await fetch(`${engine}/${INDEX}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body })).status).toBe(200);
    for (const [id, d] of Object.entries(DOCS)) await fetch(`${engine}/${INDEX}/_doc/${id}?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(d) });
    const pipeline = `name: p20b-t-photos\nindex_patterns: [${INDEX}]\nfields: {text: [title], image: [media.image], media_base: ${join(DATA, 'coco-captions-mini')}}\nfeatures: {store: none}\nbudget_ms: 300000\n`;
    srv = await startEdgeServer({ upstream: engine, pipelinesDir: onlyPipelines({ 'photos.yaml': pipeline }) });
  }, 300_000);

  afterAll(async () => {
    await srv?.close();
    await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
  });

  it('each hit of several photos names the one scored and how many it has; it scores as that photo alone', { timeout: 300_000 }, async () => {
    const r = await fetch(`${srv.url}/${INDEX}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: { match_all: {} }, ext: { vlrerank: { query: { text: 'a giraffe eating leaves' }, explain: true } } }),
    });
    expect(r.status).toBe(200);
    const hits = Object.fromEntries(((await r.json()) as any).hits.hits.map((h: any) => [h._id, h]));
    expect(hits.giraffe_first._vlrerank.media).toEqual({ image: { scored: GIRAFFE, of: 2 } });
    expect(hits.pizza_first._vlrerank.media).toEqual({ image: { scored: PIZZA, of: 2 } });
    expect(hits.giraffe._vlrerank.media).toBeUndefined();
    expect(hits.giraffe_first._score).toBe(hits.giraffe._score);
    expect(hits.pizza_first._score).toBeLessThan(hits.giraffe._score);
  });
});
