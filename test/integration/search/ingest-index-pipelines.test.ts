/**
 * Writes into an index that runs engine ingest pipelines by itself — `index.default_pipeline` and
 * `index.final_pipeline` set on it or on its template, clients sending plain documents (fix23p;
 * held-out probe round 22c's Known gaps): vlrerank's vectors and record are of the document those
 * pipelines store, not of the document as sent:
 * - a default pipeline that sets the photo from another field → the vectors of the stored photo;
 * - a final pipeline runs after the default, after a named pipeline, and after `pipeline=_none`
 *   (which skips the default only);
 * - an index the write creates from a template with a default pipeline;
 * - settings changed through the proxy: the next write follows (the settings are kept per index,
 *   read once per `_bulk` — counted — and forgotten when such a write goes through).
 * OpenSearch 3.6 has ingest processors (real `set`/`remove`); the thin Elasticsearch 8.19 and
 * OpenSearch 2.19 builds have none, so there the pipelines are ones the engine refuses every
 * document with (a missing pipeline id; Elasticsearch's `set_security_user` without security):
 * vlrerank computes nothing for a document the engine will not store, and its item is the engine's
 * own — before, the vectors of the document as sent were computed and the item said a photo was
 * missing. Official clients (`bulk`, `index`), real models and grocery photos.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { cosine } from '../../helpers/models.js';
import { catalog, esClient, groceryDoc, osClient, photoIngestPipeline, pipelinesDir, startSearchProxy, type Engine, type SearchProxy } from '../../helpers/search-fixtures.js';

const PREFIX = 'x23p-';
const pipelineYaml = (name: string) => photoIngestPipeline(name, `${PREFIX}*`);
type Item = { _id?: string; status: number; error?: unknown; vlrerank?: unknown };

/** The official client of `engine` against `url`: `bulk` and `index`, answers as bodies (errors too). */
function client(engine: Engine, url: string) {
  if (engine.startsWith('opensearch')) {
    const c = osClient(url);
    return {
      bulk: async (index: string, ops: object[], params: Record<string, unknown> = {}) => (await c.bulk({ index, body: ops, refresh: true, ...params })).body as { items: Array<Record<string, Item>> },
      index: async (index: string, id: string, doc: object, params: Record<string, unknown> = {}) => {
        try {
          return (await c.index({ index, id, body: doc, refresh: true, ...params })).body as Record<string, unknown>;
        } catch (e: any) {
          return { status: e.meta?.statusCode, ...(e.meta?.body ?? {}) } as Record<string, unknown>;
        }
      },
    };
  }
  const c = esClient(url);
  return {
    bulk: async (index: string, ops: object[], params: Record<string, unknown> = {}) => (await c.bulk({ index, operations: ops, refresh: true, ...params })) as unknown as { items: Array<Record<string, Item>> },
    index: async (index: string, id: string, doc: object, params: Record<string, unknown> = {}) => {
      try {
        return (await c.index({ index, id, document: doc, refresh: true, ...params })) as unknown as Record<string, unknown>;
      } catch (e: any) {
        return { status: e.meta?.statusCode, ...(e.meta?.body ?? {}) } as Record<string, unknown>;
      }
    },
  };
}

const gone = (title: string) => ({ title, image: '/nonexistent/x23p-gone.jpg' });
const itemOf = (b: { items: Array<Record<string, Item>> }, k: number) => Object.values(b.items[k]!)[0]!;

/** A template for `pattern` with the mapping setupIndex gives `pipeline`'s indices, and `settings`. */
async function templateFor(p: SearchProxy, pipelineName: string, name: string, pattern: string, settings: Record<string, unknown>) {
  const scratch = `${PREFIX}scratch-${name}`;
  await p.engine.json('DELETE', `/${scratch}`);
  await setupIndex(p.engine, p.pipelines.get(pipelineName)!, scratch);
  const mapping = (await p.engine.json<any>('GET', `/${scratch}/_mapping`)).body[scratch].mappings;
  const knn = (await p.engine.json<any>('GET', `/${scratch}/_settings?flat_settings=true`)).body[scratch].settings['index.knn'];
  await p.engine.json('DELETE', `/${scratch}`);
  const put = await p.engine.json('PUT', `/_index_template/${name}`, { index_patterns: [pattern], priority: 500, template: { settings: { ...settings, ...(knn ? { 'index.knn': knn } : {}), number_of_replicas: 0 }, mappings: mapping } });
  expect(put.statusCode, JSON.stringify(put.body)).toBe(200);
}

describe.each(['elasticsearch', 'opensearch'] as const)('writes into an index whose own pipelines refuse them (%s: no ingest processors)', (engine) => {
  const NAME = `x23p-refuse-${engine}`;
  let p: SearchProxy;
  let relay: CountingRelay;
  let c: ReturnType<typeof client>;
  const index = `${PREFIX}r-${engine}`;
  const created = `${PREFIX}tpl-${engine}-1`;
  const MISSING = `${PREFIX}missing-${engine}`;
  const settingsReads = (i: string) => relay.seen.filter((l) => l.startsWith(`GET /${i}/_settings`)).length;

  beforeAll(async () => {
    // settings kept long: only the write seen through the proxy can make the next write follow them
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ [`${NAME}.yaml`]: pipelineYaml(NAME) }), aliasCacheMs: 600_000, via: async (url) => (relay = await countingRelay(url)).url });
    c = client(engine, p.url);
    for (const i of [index, created]) await p.engine.json('DELETE', `/${i}`); // one by one: a list with a missing index deletes nothing
    await p.engine.json('DELETE', `/_index_template/${PREFIX}tpl-${engine}`);
    await p.engine.json('DELETE', `/_ingest/pipeline/${MISSING}`);
    await setupIndex(p.engine, p.pipelines.get(NAME)!, index);
  });
  afterAll(async () => {
    for (const i of [index, created]) await p?.engine.json('DELETE', `/${i}`);
    await p?.engine.json('DELETE', `/_index_template/${PREFIX}tpl-${engine}`);
    await p?.close();
    await relay?.close();
  });

  it('settings changed through the proxy: the next write follows them; a default or final pipeline the engine refuses with: nothing computed', async () => {
    // no pipeline yet: a missing photo is said on its item (vectors of the document as sent)
    const before = await c.bulk(index, [{ index: { _id: 'plain' } }, gone('plain')]);
    expect(itemOf(before, 0).status).toBe(201);
    expect(JSON.stringify(itemOf(before, 0).vlrerank)).toContain('x23p-gone.jpg');
    const put = await fetch(`${p.url}/${index}/_settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ index: { default_pipeline: MISSING } }) });
    expect(put.status).toBe(200);
    // the engine refuses every document now (no such pipeline): its items alone, as directly
    const direct = (await fetch(`${p.engineUrl}/${index}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: `${JSON.stringify({ index: { _id: 'd' } })}\n${JSON.stringify(gone('direct'))}\n` }).then((r) => r.json())) as { items: Array<Record<string, Item>> };
    const b = await c.bulk(index, [{ index: { _id: 'a' } }, gone('a'), { index: { _id: 'b' } }, gone('b')]);
    for (const k of [0, 1]) {
      expect(itemOf(b, k).status).toBe(itemOf(direct, 0).status);
      expect(itemOf(b, k), `item ${k}`).not.toHaveProperty('vlrerank');
      expect(itemOf(b, k).error).toEqual(itemOf(direct, 0).error);
    }
    const one = await c.index(index, 'single', gone('single'));
    expect(one.status).toBe(400);
    expect(one).not.toHaveProperty('vlrerank');
    // `_none` skips the default: stored, the photo's absence said as before
    const none = await c.bulk(index, [{ index: { _id: 'none' } }, gone('none')], { pipeline: '_none' });
    expect(itemOf(none, 0).status).toBe(201);
    expect(JSON.stringify(itemOf(none, 0).vlrerank)).toContain('x23p-gone.jpg');
    // a final pipeline runs after `_none` too: refused again, nothing computed
    const fin = await fetch(`${p.url}/${index}/_settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ index: { default_pipeline: '_none', final_pipeline: MISSING } }) });
    expect(fin.status).toBe(200);
    const after = await c.bulk(index, [{ index: { _id: 'none-final' } }, gone('none-final')], { pipeline: '_none' });
    expect(itemOf(after, 0).status).toBeGreaterThanOrEqual(400);
    expect(itemOf(after, 0)).not.toHaveProperty('vlrerank');
  });

  it('an index the write creates from a template with a default pipeline', async () => {
    const failing = engine === 'elasticsearch' ? `${PREFIX}security-user` : MISSING;
    if (engine === 'elasticsearch') await p.engine.json('PUT', `/_ingest/pipeline/${failing}`, { processors: [{ set_security_user: { field: 'image' } }] });
    try {
      await templateFor(p, NAME, `${PREFIX}tpl-${engine}`, `${PREFIX}tpl-${engine}-*`, { 'index.default_pipeline': failing });
      const b = await c.bulk(created, [{ index: { _id: 't1' } }, gone('t1'), { index: { _id: 't2' } }, gone('t2')]);
      for (const k of [0, 1]) {
        expect(itemOf(b, k).status).toBeGreaterThanOrEqual(400);
        expect(itemOf(b, k), `item ${k}`).not.toHaveProperty('vlrerank');
      }
    } finally {
      if (engine === 'elasticsearch') await p.engine.json('DELETE', `/_ingest/pipeline/${failing}`);
    }
  });

  it('reads the settings once per index, not per document (a 300-document _bulk)', async () => {
    await p.engine.json('PUT', `/${index}/_settings`, { index: { default_pipeline: '_none', final_pipeline: '_none' } });
    await fetch(`${p.url}/${index}/_settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ index: { 'number_of_replicas': 0 } }) });
    const reads = settingsReads(index);
    const ops = Array.from({ length: 300 }, (_, i) => [{ index: { _id: `n-${i}` } }, { title: `oat drink ${i}` }]).flat();
    const b = await c.bulk(index, ops);
    expect(b.items.filter((it) => Object.values(it)[0]!.status === 201)).toHaveLength(300);
    expect(settingsReads(index) - reads).toBe(1);
    await c.bulk(index, ops.slice(0, 20));
    expect(settingsReads(index) - reads).toBe(1); // kept for the next _bulk
  });
});

describe('writes into an index whose own pipelines change the photo (opensearch3)', () => {
  const NAME = 'x23p-photo';
  let p: SearchProxy;
  let c: ReturnType<typeof client>;
  let embedder: RerankerEmbedder;
  const index = `${PREFIX}photo`;
  const created = `${PREFIX}tpl-photo-1`;
  const SET = `${PREFIX}set-photo`; // the photo from `shelf_photo`
  const FINAL = `${PREFIX}final-photo`; // the photo from `final_photo`
  const sent = groceryDoc(catalog[45]!); // an oat drink
  const shelf = groceryDoc(catalog[51]!).image as string; // a soy drink's photo
  const last = groceryDoc(catalog[60]!).image as string;
  const get = async (i: string, id: string) => (await p.engine.json<any>('GET', `/${i}/_doc/${id}?stored_fields=vlrerank_features&_source=true`)).body;
  const vectorOf = async (photo: string) => embedder.visual(photo, 'image');

  beforeAll(async () => {
    p = await startSearchProxy('opensearch3', { pipelinesDir: pipelinesDir({ [`${NAME}.yaml`]: pipelineYaml(NAME) }), aliasCacheMs: 600_000 });
    c = client('opensearch3', p.url);
    embedder = new RerankerEmbedder(p.reranker);
    await p.engine.json('PUT', `/_ingest/pipeline/${SET}`, { processors: [{ set: { field: 'image', value: '{{shelf_photo}}', ignore_empty_value: true } }, { remove: { field: 'shelf_photo', ignore_missing: true } }] });
    await p.engine.json('PUT', `/_ingest/pipeline/${FINAL}`, { processors: [{ set: { field: 'image', value: '{{final_photo}}', ignore_empty_value: true } }, { remove: { field: 'final_photo', ignore_missing: true } }] });
    for (const i of [index, created]) await p.engine.json('DELETE', `/${i}`); // one by one: a list with a missing index deletes nothing
    await p.engine.json('DELETE', `/_index_template/${PREFIX}tpl-photo`);
    await setupIndex(p.engine, p.pipelines.get(NAME)!, index);
    await p.engine.json('PUT', `/${index}/_settings`, { index: { default_pipeline: SET } });
  });
  afterAll(async () => {
    for (const i of [index, created]) await p?.engine.json('DELETE', `/${i}`);
    await p?.engine.json('DELETE', `/_index_template/${PREFIX}tpl-photo`);
    for (const n of [SET, FINAL]) await p?.engine.json('DELETE', `/_ingest/pipeline/${n}`);
    await p?.close();
  });

  const expectPhoto = async (i: string, id: string, photo: string) => {
    const d = await get(i, id);
    expect(d._source.image, id).toBe(photo);
    expect(cosine(d._source.image_vector, await vectorOf(photo)), id).toBeGreaterThan(0.9999);
    expect(d.fields?.vlrerank_features, id).toBeDefined();
  };

  it('a default pipeline that sets the photo: the vectors and record of the stored photo (bulk and index)', async () => {
    const b = await c.bulk(index, [{ index: { _id: 'bulk-default' } }, { ...sent, shelf_photo: shelf }]);
    expect(itemOf(b, 0).status).toBe(201);
    const one = await c.index(index, 'doc-default', { ...sent, shelf_photo: shelf });
    expect(one).not.toHaveProperty('vlrerank');
    for (const id of ['bulk-default', 'doc-default']) await expectPhoto(index, id, shelf);
    // `_none` skips it: the photo sent
    await c.bulk(index, [{ index: { _id: 'bulk-none' } }, { ...sent, shelf_photo: shelf }], { pipeline: '_none' });
    await expectPhoto(index, 'bulk-none', sent.image as string);
  });

  it('a final pipeline after the default, after `_none`, and settings changed through the proxy', async () => {
    const put = await fetch(`${p.url}/${index}/_settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ index: { final_pipeline: FINAL } }) });
    expect(put.status).toBe(200);
    await c.bulk(index, [
      { index: { _id: 'both' } }, { ...sent, shelf_photo: shelf, final_photo: last },
      { index: { _id: 'default-only' } }, { ...sent, shelf_photo: shelf },
      { index: { _id: 'none-final', pipeline: '_none' } }, { ...sent, shelf_photo: shelf, final_photo: last },
    ]);
    await c.index(index, 'doc-final', { ...sent, final_photo: last }, { pipeline: '_none' });
    await expectPhoto(index, 'both', last);
    await expectPhoto(index, 'default-only', shelf);
    await expectPhoto(index, 'none-final', last);
    await expectPhoto(index, 'doc-final', last);
  });

  it('an index the write creates from a template with a default pipeline', async () => {
    await templateFor(p, NAME, `${PREFIX}tpl-photo`, `${PREFIX}tpl-photo-*`, { 'index.default_pipeline': SET });
    const b = await c.bulk(created, [{ index: { _id: 'created' } }, { ...sent, shelf_photo: shelf }]);
    expect(itemOf(b, 0).status).toBe(201);
    await expectPhoto(created, 'created', shelf);
  });
});
