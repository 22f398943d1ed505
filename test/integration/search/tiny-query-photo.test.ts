/**
 * A query photo far below the image models' input is accepted with a warning (held-out probe round
 * 27b): a 32×32 thumbnail of an in-store photo — a shop page's preview sent instead of the upload —
 * ranked near chance (top-1 0.024 reranked, 0.415 for the photo itself) and was answered 200 without
 * a word. A query photo under 64 px on its short side is now said, with its size and the models'
 * input, in each API's own place: a search's `vlrerank.warnings`, `/_vlrerank/rerank`'s `warnings`,
 * the compatible APIs' `meta.warnings`. A photo of 64 px and more gets none. Elasticsearch 8.19, the
 * real models, the Grocery photos.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/paths.js';
import { clientBulk, freshIndex, GROCERY_DIR, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const G = join(GROCERY_DIR, 'iconic-images-and-descriptions');
const BANANA = join(G, 'Fruit/Banana/Banana_Iconic.jpg');
const MILK = join(G, 'Packages/Milk/Arla-Standard-Milk/Arla-Standard-Milk_Iconic.jpg');
const INDEX = 'f29-tiny';
const grocery = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8').replace(/^budget_ms: .*$/m, 'budget_ms: 300000');
const pipeline = `${grocery.replace(/^name: .*$/m, 'name: f29t').replace(/^index_patterns: .*$/m, `index_patterns: [${INDEX}]`)}\nfeatures: { store: none }\n`;
const photo = async (w: number, h: number) => (await sharp(BANANA).resize(w, h, { fit: 'fill' }).jpeg().toBuffer()).toString('base64');

describe('a tiny query photo is warned of, on elasticsearch', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelinesDir({ 'f29t.yaml': pipeline }) });
    await p.reranker.warm.wait();
    await freshIndex(p, p.pipelines.get('f29t')!, INDEX);
    const bulk = await clientBulk('elasticsearch', p.url, [
      { index: { _index: INDEX, _id: 'banana' } },
      { title: 'Banana', image: BANANA },
      { index: { _index: INDEX, _id: 'milk' } },
      { title: 'Milk', image: MILK },
    ]);
    expect(bulk.errors).toBe(false);
  }, 600_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${p.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as any };
  };

  it('says its size and the models\' input in each API\'s own place; a photo of 64 px and more gets none', { timeout: 600_000 }, async () => {
    const tiny = await photo(32, 24);
    const fine = await photo(64, 80);
    const said = [expect.stringMatching(/query\.image is 32×24 px, under 64 px on its short side, where the image models read 260×260/)];

    const search = (image: string) => post(`/${INDEX}/_search`, { size: 2, ext: { vlrerank: { query: { image } } } });
    const s = await search(tiny);
    expect(s.status).toBe(200);
    expect(s.body.vlrerank.degraded).toBe(false);
    expect(s.body.vlrerank.warnings).toEqual(said);
    expect((await search(fine)).body.vlrerank.warnings).toBeUndefined();

    const documents = [{ text: 'Banana', image: BANANA }, { text: 'Milk', image: MILK }];
    const own = (image: string) => post('/_vlrerank/rerank', { query: { image }, documents });
    const o = await own(tiny);
    expect(o.status).toBe(200);
    expect(o.body.warnings).toEqual(said);
    expect((await own(fine)).body.warnings).toBeUndefined();

    const cohere = (image: string) => post('/v1/rerank', { query: { image }, documents });
    const c = await cohere(tiny);
    expect(c.status).toBe(200);
    expect(c.body.meta.warnings).toEqual(said);
    expect((await cohere(fine)).body.meta.warnings).toBeUndefined();
  });
});
