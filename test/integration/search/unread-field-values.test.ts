/**
 * Held-out probe round 28b: a value of a pipeline field that is neither a text nor a media
 * reference — an image object without a `url`/`src`/`data`/`path` (`{id, alt}`), a number in an
 * image object's `url`, an object under a text field — was skipped without a word: the product
 * ranked on its other fields, its write got no vectors or record from it and said nothing, and a
 * product of nothing else was "none of the pipeline fields". Now the write's item says which value
 * was not read (`vlrerank.note`), an explained hit says it (`_vlrerank.unread`), the search counts
 * such hits (`vlrerank.unread`) and names them as the reason a hit is unscored. The scores are
 * unchanged: such a value is still not scored. Elasticsearch 8.19 and OpenSearch 2.19, the real
 * models, the Grocery banana photo, records kept in the index (`features.store: index`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';
import { ENGINES, GROCERY_DIR } from '../../helpers/search-fixtures.js';

const INDEX = 'p28b-t-unread';
const FIELD = 'vlrerank_features';
const BANANA = 'iconic-images-and-descriptions/Fruit/Banana/Banana_Iconic.jpg';
const DOCS: Record<string, Record<string, unknown>> = {
  text_only: { title: 'Banana' },
  photo_ref: { title: 'Banana', image: { url: BANANA, alt: 'a banana' } },
  photo_id: { title: 'Banana', image: { id: 5, alt: 'a banana' } },
  url_number: { title: 'Banana', image: { url: 7 } },
  info_object: { title: 'Banana', info: { en: 'yellow fruit' }, image: { url: BANANA } },
  nothing_read: { image: { id: 6 } },
};
const NOT_MEDIA = (v: string) => `pipeline media field [image] holds ${v}, not a media path or URL (a string, or an object with a string url, src, data or path): not read`;

describe.each(ENGINES)('values of a pipeline field that are not read, on %s', (engineName) => {
  let engine: string;
  let srv: RunningServer;
  let items: Record<string, any>;

  beforeAll(async () => {
    engine = await useEngine(engineName);
    await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
    const mappings = {
      _source: { excludes: [FIELD, `${FIELD}_key`] },
      properties: {
        title: { type: 'text' },
        info: { properties: { en: { type: 'text' } } },
        image: { properties: { id: { type: 'long' }, url: { type: 'keyword' }, alt: { type: 'text' } } },
        [FIELD]: { type: 'binary', store: true },
        [`${FIELD}_key`]: { type: 'keyword' },
      },
    };
    expect((await fetch(`${engine}/${INDEX}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mappings }) })).status).toBe(200);
    const pipeline = `name: p28b-t-unread\nindex_patterns: [${INDEX}]\nfields: {text: [title, info], image: [image], media_base: ${GROCERY_DIR}}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: index}\nbudget_ms: 300000\n`;
    srv = await startEdgeServer({ upstream: engine, pipelinesDir: onlyPipelines({ 'unread.yaml': pipeline }) });
    const nd = Object.entries(DOCS).map(([id, d]) => `${JSON.stringify({ index: { _index: INDEX, _id: id } })}\n${JSON.stringify(d)}\n`).join('');
    const b = (await (await fetch(`${srv.url}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd })).json()) as any;
    expect(b.errors).toBe(false);
    items = Object.fromEntries(b.items.map((x: any) => [x.index._id, x.index]));
    const one = await fetch(`${srv.url}/${INDEX}/_doc/single?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Banana', image: { id: 9 } }) });
    expect(one.status).toBe(201);
    items.single = await one.json();
  }, 300_000);

  afterAll(async () => {
    await srv?.close();
    await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
  });

  it('the write says which value was not read; a document whose values are all read gets no note', () => {
    expect(items.photo_id.vlrerank?.note?.reason).toBe(`${NOT_MEDIA('{"id":5,"alt":"a banana"}')}, so no vectors or feature record come from it`);
    expect(items.url_number.vlrerank?.note?.reason).toBe(`${NOT_MEDIA('{"url":7}')}, so no vectors or feature record come from it`);
    expect(items.info_object.vlrerank?.note?.reason).toMatch(/^pipeline text field \[info\] holds an object \(\{"en":"yellow fruit"\}\), not a text: not read — name the text fields under it \(e\.g\. \[info\.en\]\)/);
    expect(items.nothing_read.vlrerank?.note?.reason).toBe(`${NOT_MEDIA('{"id":6}')}, so no vectors or feature record come from it`);
    expect(items.single.vlrerank?.note?.reason).toBe(`${NOT_MEDIA('{"id":9}')}, so no vectors or feature record come from it`);
    for (const id of ['text_only', 'photo_ref']) expect(items[id].vlrerank?.note, id).toBeUndefined();
  });

  it('the search says it per hit and in all, names it as the reason a hit is unscored, and scores as before', { timeout: 300_000 }, async () => {
    const r = await fetch(`${srv.url}/${INDEX}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: 20, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'banana' }, explain: true } } }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as any;
    const hits = Object.fromEntries(body.hits.hits.map((h: any) => [h._id, h._vlrerank]));
    expect(hits.photo_id.unread).toBe(NOT_MEDIA('{"id":5,"alt":"a banana"}'));
    expect(hits.photo_id.rerank_score).toBe(hits.text_only.rerank_score);
    expect(hits.url_number.unread).toBe(NOT_MEDIA('{"url":7}'));
    expect(hits.info_object.unread).toMatch(/^pipeline text field \[info\] holds an object/);
    expect(hits.info_object.rerank_score).toBe(hits.photo_ref.rerank_score);
    for (const id of ['text_only', 'photo_ref']) expect(hits[id].unread, id).toBeUndefined();
    expect(hits.nothing_read.error).toBe(NOT_MEDIA('{"id":6}'));
    expect(body.vlrerank.unread.count).toBe(4);
    expect(body.vlrerank.unscored).toEqual({ count: 1, first: `hit [nothing_read]: ${NOT_MEDIA('{"id":6}')}` });
  });
});
