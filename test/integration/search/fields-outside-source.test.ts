/**
 * Held-out probe round 20b: a team points a pipeline's `fields` at the mapping it already has, where
 * not every field is a key of `_source` — a field alias (`type: alias`), a multi-field
 * (`title.keyword`), a `copy_to` target, a photo path left out of `_source` but stored, a disabled
 * `_source` with stored fields. Read from `_source` alone they gave nothing, silently: the
 * multi-field and `copy_to` indices were ranked on the photo alone, the stored photo on the text
 * alone, the alias and the disabled `_source` were not reranked at all. Now each hit is scored as
 * the same document with plain fields in `_source` is, and the client's hits are the engine's.
 * A hit with no value of any pipeline field is said (`vlrerank.unscored`), not a silent 0.
 * Elasticsearch 8.19 and OpenSearch 2.19, the real models, COCO photos.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';
import { DATA } from '../../helpers/paths.js';
import { ENGINES } from '../../helpers/search-fixtures.js';

const COCO = join(DATA, 'coco-captions-mini');
const DOCS = {
  g: { title: 'a giraffe eating leaves from a tree', img: 'images/val2017/000000101780.jpg' },
  p: { title: 'a pizza with cheese and broccoli', img: 'images/val2017/000000092660.jpg' },
};
const kw = { type: 'keyword' };
const stored = { type: 'keyword', store: true };
/** Each index: its mapping, how a document is written to it, and the pipeline's fields there. */
const SHAPES: Record<string, { mappings: Record<string, unknown>; doc: (d: (typeof DOCS)['g']) => Record<string, unknown>; text: string; image: string }> = {
  plain: { mappings: { properties: { title: { type: 'text' }, img: kw } }, doc: (d) => d, text: 'title', image: 'img' },
  alias: { mappings: { properties: { t: { type: 'text' }, i: kw, name: { type: 'alias', path: 't' }, photo: { type: 'alias', path: 'i' } } }, doc: (d) => ({ t: d.title, i: d.img }), text: 'name', image: 'photo' },
  multi: { mappings: { properties: { title: { type: 'text', fields: { keyword: kw } }, img: kw } }, doc: (d) => d, text: 'title.keyword', image: 'img' },
  copy: { mappings: { properties: { name: { type: 'text', copy_to: 'all_text' }, all_text: { type: 'text', store: true }, img: kw } }, doc: (d) => ({ name: d.title, img: d.img }), text: 'all_text', image: 'img' },
  excluded: { mappings: { _source: { excludes: ['media.img'] }, properties: { title: { type: 'text' }, media: { properties: { img: stored } } } }, doc: (d) => ({ title: d.title, media: { img: d.img } }), text: 'title', image: 'media.img' },
  nosource: { mappings: { _source: { enabled: false }, properties: { title: { type: 'text', store: true }, img: stored } }, doc: (d) => d, text: 'title', image: 'img' },
};
const index = (shape: string) => `p20b-t-${shape}`;

const ask = { size: 5, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'a giraffe eating leaves' }, explain: true } } };

describe.each(ENGINES)('pipeline fields outside _source, on %s', (engineName) => {
  let engine: string;
  let srv: RunningServer;
  const json = async (url: string, method: string, body?: unknown) => {
    const r = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as any };
  };

  beforeAll(async () => {
    engine = await useEngine(engineName);
    const pipelines: Record<string, string> = {};
    for (const [shape, s] of Object.entries(SHAPES)) {
      await fetch(`${engine}/${index(shape)}`, { method: 'DELETE' });
      expect((await json(`${engine}/${index(shape)}`, 'PUT', { settings: { number_of_replicas: 0 }, mappings: s.mappings })).status).toBe(200);
      for (const [id, d] of Object.entries(DOCS)) expect((await json(`${engine}/${index(shape)}/_doc/${id}`, 'PUT', s.doc(d))).status).toBe(201);
      await fetch(`${engine}/${index(shape)}/_refresh`, { method: 'POST' });
      pipelines[`${shape}.yaml`] = `name: p20b-t-${shape}\nindex_patterns: [${index(shape)}]\nfields: {text: [${s.text}], image: [${s.image}], media_base: ${COCO}}\nfeatures: {store: none}\nfailure: fail_open\nbudget_ms: 300000\n`;
    }
    srv = await startEdgeServer({ upstream: engine, pipelinesDir: onlyPipelines(pipelines) });
  }, 300_000);

  afterAll(async () => {
    await srv?.close();
    for (const shape of [...Object.keys(SHAPES), 'sparse']) await fetch(`${engine}/${index(shape)}`, { method: 'DELETE' });
  });

  const reranked = async (shape: string, body: Record<string, unknown> = ask) => {
    const r = await json(`${srv.url}/${index(shape)}/_search`, 'POST', body);
    expect(r.status).toBe(200);
    return r.body;
  };

  for (const shape of Object.keys(SHAPES).filter((s) => s !== 'plain')) {
    it(`${shape}: each hit is scored on its text and its photo, as the same document with plain fields`, { timeout: 300_000 }, async () => {
      const plain = await reranked('plain');
      const got = await reranked(shape);
      expect(got.vlrerank.degraded).toBe(false);
      const scores = (b: any) => Object.fromEntries(b.hits.hits.map((h: any) => [h._id, h._score]));
      for (const h of got.hits.hits) {
        expect(h._vlrerank.explanation.modalities.document, `${shape} ${h._id}`).toEqual(['text', 'image']);
        expect(h._score).toBeCloseTo(scores(plain)[h._id], 6);
      }
      expect(got.hits.hits.map((h: any) => h._id)).toEqual(['g', 'p']);
    });
  }

  it("the client's hits are the engine's: _source, fields and stored fields as it sends them", { timeout: 300_000 }, async () => {
    for (const [shape, client] of [
      ['alias', { fields: ['photo'] }],
      ['multi', { fields: ['title*'], _source: false }],
      ['copy', { stored_fields: ['all_text'] }],
      ['excluded', { stored_fields: ['_source', 'media.img'] }],
      ['nosource', {}],
    ] as const) {
      const body = { size: 5, query: { match_all: {} }, ...client };
      const direct = await json(`${engine}/${index(shape)}/_search`, 'POST', body);
      const got = await reranked(shape, { ...body, ext: { vlrerank: { query: { text: 'a giraffe eating leaves' } } } });
      const view = (b: any) => Object.fromEntries(b.hits.hits.map(({ _score, ...h }: any) => [h._id, h]));
      expect(view(got), shape).toEqual(view(direct.body));
    }
  });

  it('a hit with no value of any pipeline field is said in vlrerank.unscored, without explain', { timeout: 300_000 }, async () => {
    await fetch(`${engine}/${index('sparse')}`, { method: 'DELETE' });
    expect((await json(`${engine}/${index('sparse')}`, 'PUT', { mappings: SHAPES.plain!.mappings })).status).toBe(200);
    await json(`${engine}/${index('sparse')}/_doc/g?refresh=true`, 'PUT', DOCS.g);
    await json(`${engine}/${index('sparse')}/_doc/bare?refresh=true`, 'PUT', { sku: 'x1' });
    await srv.close();
    srv = await startEdgeServer({
      upstream: engine,
      pipelinesDir: onlyPipelines({ 'sparse.yaml': `name: p20b-t-sparse\nindex_patterns: [${index('sparse')}]\nfields: {text: [title], image: [img], media_base: ${COCO}}\nfeatures: {store: none}\nbudget_ms: 300000\n` }),
    });
    const got = await reranked('sparse', { size: 5, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'a giraffe' } } } });
    expect(got.vlrerank.degraded).toBe(false);
    expect(got.vlrerank.unscored).toMatchObject({ count: 1 });
    expect(got.vlrerank.unscored.first).toMatch(/^hit \[bare\]: it has no value of any pipeline field/);
  });
});
