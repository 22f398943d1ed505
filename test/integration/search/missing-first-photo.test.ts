/**
 * Held-out probe round 28b: a product whose first photo is missing (`image: [missing.jpg,
 * banana.jpg]`) was scored on its text alone, said in `document_errors`, its second photo never
 * tried; ingest made its vectors and record of nothing visual either. Now the first of its first
 * three photos that loads is scored (pipelines/document.ts `chooseMedia`), the explanation's
 * `_vlrerank.media` names it, ingest's vectors and record are made from that one (the record says
 * so: search serves it as that photo's), and a fourth photo is never tried. Elasticsearch 8.19, the
 * real models, a pipeline with records at ingest and one without.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA, REPO_ROOT } from '../../helpers/paths.js';
import { clientBulk, freshIndex, GROCERY_DIR, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const BANANA = join(GROCERY_DIR, 'iconic-images-and-descriptions/Fruit/Banana/Banana_Iconic.jpg');
const gone = (n: number) => join(DATA, `f29-missing-${n}.jpg`);
const DOCS: Record<string, Record<string, unknown>> = {
  banana: { title: 'Banana', image: BANANA },
  second: { title: 'Banana', image: [gone(1), BANANA] },
  third: { title: 'Banana', image: [gone(1), gone(2), BANANA] },
  fourth: { title: 'Banana', image: [gone(1), gone(2), gone(3), BANANA] },
};
const grocery = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8').replace(/^budget_ms: .*$/m, 'budget_ms: 300000');
const pipe = (name: string, pattern: string, store: string) => `${grocery.replace(/^name: .*$/m, `name: ${name}`).replace(/^index_patterns: .*$/m, `index_patterns: [${pattern}]`)}\nfeatures: { store: ${store} }\n`;

describe('a missing first photo is replaced by the next that loads, on elasticsearch', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelinesDir({ 'f29r.yaml': pipe('f29r', 'f29-rec*', 'index'), 'f29n.yaml': pipe('f29n', 'f29-none*', 'none') }) });
    await p.reranker.warm.wait();
  }, 300_000);
  afterAll(async () => {
    for (const i of ['f29-rec', 'f29-none']) await p?.engine.json('DELETE', `/${i}`);
    await p?.close();
  });

  it.each([
    ['f29-rec', 'f29r'],
    ['f29-none', 'f29n'],
  ])('%s: the photo scored, its vectors and its record are the first of three that loads', { timeout: 600_000 }, async (index, pipeline) => {
    await freshIndex(p, p.pipelines.get(pipeline)!, index);
    const bulk = await clientBulk('elasticsearch', p.url, Object.entries(DOCS).flatMap(([id, d]) => [{ index: { _index: index, _id: id } }, d]));
    expect(bulk.errors).toBe(false);
    // only the fourth, whose photo is its fourth, is said to have no vectors
    const failed = bulk.items.filter((x: any) => x.index.vlrerank?.error).map((x: any) => x.index._id);
    expect(failed).toEqual(['fourth']);
    const doc = async (id: string) => (await p.engine.json<any>('GET', `/${index}/_doc/${id}`)).body._source;
    const banana = await doc('banana');
    for (const id of ['second', 'third']) expect((await doc(id)).image_vector).toEqual(banana.image_vector);
    expect((await doc('fourth')).image_vector).toBeUndefined();

    const r = await fetch(`${p.url}/${index}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: 4, query: { ids: { values: Object.keys(DOCS) } }, ext: { vlrerank: { query: { text: 'banana' }, explain: true } } }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as any;
    const hits = Object.fromEntries(body.hits.hits.map((h: any) => [h._id, h]));
    expect(hits.second._vlrerank.media).toEqual({ image: { scored: BANANA, of: 2 } });
    expect(hits.third._vlrerank.media).toEqual({ image: { scored: BANANA, of: 3 } });
    expect(hits.fourth._vlrerank.media).toEqual({ image: { scored: gone(1), of: 4 } });
    for (const id of ['second', 'third']) expect(hits[id]._vlrerank.rerank_score).toBeCloseTo(hits.banana._vlrerank.rerank_score, 4);
    // the fourth is scored on its text alone (0.977 here, the photo's 0.895: text is worth more when it is all there is)
    expect(Math.abs(hits.fourth._vlrerank.rerank_score - hits.banana._vlrerank.rerank_score)).toBeGreaterThan(0.02);
    expect(body.vlrerank.document_errors.count).toBe(1);
    expect(body.vlrerank.document_errors.first).toContain('f29-missing-1.jpg');
  });
});
