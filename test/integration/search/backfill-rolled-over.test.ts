/**
 * `vlrerank index backfill` over a name that stands for several indices the cluster made (held-out
 * probe round 19b): an alias rolled over (`-000001`, `-000002`), a wildcard over dated indices, a
 * data stream and its backing indices. Backfill read every index behind the name but wrote each
 * partial update to the name: a data stream refuses an update by `_id` ("only write ops with an
 * op_type of create are allowed in data streams" — the run failed at its first write, nothing
 * written), an alias sent it to its write index alone (every document of the older index
 * `document_missing`, counted a conflict and never written). Each update now names the index the
 * document was read from.
 * And `vlrerank index setup` on a data stream whose template does not map the pipeline's fields:
 * what it adds lasts until the next rollover — it now says so and gives the component template,
 * which, added to the index template, keeps them in the next backing index.
 * Elasticsearch 8.19 and OpenSearch 2.19 (data streams on OpenSearch: the thin Elasticsearch builds
 * cannot delete one), the real text and image models, real COCO photos.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { DATA } from '../../helpers/paths.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineProperties, setupIndex, sourceMapping } from '../../../src/engine/mapping.js';
import { unpackRecord } from '../../../src/features/record/index.js';
import { backfill } from '../../../src/ingest/backfill.js';
import { backfillRecords } from '../../../src/ingest/backfill-records.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { ENGINES, isElasticsearch, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const FIELD = 'vlrerank_features';
const COCO = join(DATA, 'coco-captions-mini');
const photos = readFileSync(join(COCO, 'captions.jsonl'), 'utf8').trim().split('\n').slice(0, 4).map((l) => JSON.parse(l) as { image: string; captions: string[] });
const PIPELINES = {
  'p19b-bf.yaml': `name: p19b-bf\nindex_patterns: [p19b-bf-*]\nfailure: fail_open\nfields: {text: [title]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: index}\n`,
  'p19b-bfv.yaml': `name: p19b-bfv\nindex_patterns: [p19b-bfv-*]\nfailure: fail_open\nfields: {text: [caption], image: [image]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: none}\nvectors: {ingest: true, image: {field: image_vector, dims: 1280}, bridge: {field: image_text_vector, dims: 384}}\n`,
};
const TITLES = ['oat milk', 'almond milk', 'soy drink', 'rice drink', 'oat cream', 'coconut milk'];

describe.each(ENGINES)('backfill over a name that stands for several indices, on %s', (engine) => {
  let p: SearchProxy;
  const INDICES = ['p19b-bf-cat-000001', 'p19b-bf-cat-000002', 'p19b-bf-day-2026.12.05', 'p19b-bf-day-2026.12.06', 'p19b-bfv-cat-000001', 'p19b-bfv-cat-000002'];
  const clean = async () => {
    for (const i of INDICES) await p.engine.json('DELETE', `/${i}`);
    if (!isElasticsearch(engine)) for (const s of ['p19b-bf-stream', 'p19b-bf-bare']) await p.engine.json('DELETE', `/_data_stream/${s}`);
    for (const t of ['p19b-bf', 'p19b-bfv', 'p19b-bf-stream', 'p19b-bf-bare']) await p.engine.json('DELETE', `/_index_template/${t}`);
    await p.engine.json('DELETE', '/_component_template/p19b-bf-vlrerank');
  };
  /** An index template making every index of `pattern` as `vlrerank index setup` makes one. */
  const template = async (name: string, pattern: string, pipeline: string, dataStream = false) => {
    const pl = p.pipelines.get(pipeline)!;
    const dialect = isElasticsearch(engine) ? 'elasticsearch' : 'opensearch';
    const source = sourceMapping(pl);
    const settings = dialect === 'opensearch' && pl.vectors.image ? { 'index.knn': true } : {};
    const properties = { ...pipelineProperties(pl, dialect), ...(dataStream ? { '@timestamp': { type: 'date' } } : {}) };
    const r = await p.engine.json('PUT', `/_index_template/${name}`, { index_patterns: [pattern], priority: dataStream ? 600 : 500, ...(dataStream ? { data_stream: {} } : {}), template: { settings, mappings: { ...(source ? { _source: source } : {}), properties } } });
    expect(r.statusCode).toBe(200);
  };
  /** Documents written to the engine directly (no record, no vectors): what backfill is for. */
  const direct = async (name: string, docs: object[], op: 'index' | 'create' = 'index') => {
    const lines = docs.flatMap((d) => [JSON.stringify({ [op]: { _index: name } }), JSON.stringify(op === 'create' ? { '@timestamp': '2026-12-06T00:00:00Z', ...d } : d)]);
    const r = await p.engine.json<any>('POST', '/_bulk?refresh=true', lines.join('\n') + '\n', { 'content-type': 'application/x-ndjson' });
    expect(r.body.errors, JSON.stringify(r.body).slice(0, 500)).toBe(false);
  };
  const recordsIn = async (name: string) => {
    const r = await p.engine.json<any>('POST', `/${name}/_search`, { size: 100, stored_fields: [FIELD], _source: true, query: { match_all: {} } });
    return r.body.hits.hits.map((h: any) => ({ index: h._index as string, recorded: !!unpackRecord(h.fields?.[FIELD]) }));
  };
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES) });
    await clean();
  }, 300_000);
  afterAll(async () => {
    if (p) await clean();
    await p?.close();
  });

  it('an alias rolled over: the documents of the older index get their records too', { timeout: 300_000 }, async () => {
    await template('p19b-bf', 'p19b-bf-*', 'p19b-bf');
    expect((await p.engine.json('PUT', '/p19b-bf-cat-000001', { aliases: { 'p19b-bf-cat': { is_write_index: true } } })).statusCode).toBe(200);
    await direct('p19b-bf-cat', TITLES.slice(0, 3).map((title) => ({ title })));
    expect((await p.engine.json('POST', '/p19b-bf-cat/_rollover')).statusCode).toBe(200);
    await direct('p19b-bf-cat', TITLES.slice(3).map((title) => ({ title })));
    const r = await backfillRecords(p.engine, p.pipelines.get('p19b-bf')!, 'p19b-bf-cat', new RerankerEmbedder(p.reranker));
    expect(r).toMatchObject({ total: 6, recorded: 6, conflicts: 0, failed: 0 });
    const after = await recordsIn('p19b-bf-cat');
    expect(new Set(after.map((d: any) => d.index))).toEqual(new Set(['p19b-bf-cat-000001', 'p19b-bf-cat-000002']));
    expect(after.filter((d: any) => !d.recorded)).toEqual([]);
    expect(await backfillRecords(p.engine, p.pipelines.get('p19b-bf')!, 'p19b-bf-cat', new RerankerEmbedder(p.reranker))).toMatchObject({ total: 0 });
  });

  it('a wildcard over dated indices: every index backfilled', { timeout: 300_000 }, async () => {
    await template('p19b-bf', 'p19b-bf-*', 'p19b-bf');
    await direct('p19b-bf-day-2026.12.05', TITLES.slice(0, 3).map((title) => ({ title })));
    await direct('p19b-bf-day-2026.12.06', TITLES.slice(3).map((title) => ({ title })));
    const r = await backfillRecords(p.engine, p.pipelines.get('p19b-bf')!, 'p19b-bf-day-*', new RerankerEmbedder(p.reranker));
    expect(r).toMatchObject({ total: 6, recorded: 6, conflicts: 0, failed: 0 });
    expect((await recordsIn('p19b-bf-day-*')).filter((d: any) => !d.recorded)).toEqual([]);
  });

  it('vectors alone (a pipeline keeping no records) over an alias rolled over: real photos in both indices', { timeout: 300_000 }, async () => {
    await template('p19b-bfv', 'p19b-bfv-*', 'p19b-bfv');
    expect((await p.engine.json('PUT', '/p19b-bfv-cat-000001', { aliases: { 'p19b-bfv-cat': { is_write_index: true } } })).statusCode).toBe(200);
    const docs = photos.map((ph) => ({ caption: ph.captions[0], image: join(COCO, ph.image) }));
    await direct('p19b-bfv-cat', docs.slice(0, 2));
    expect((await p.engine.json('POST', '/p19b-bfv-cat/_rollover')).statusCode).toBe(200);
    await direct('p19b-bfv-cat', docs.slice(2));
    const r = await backfill(p.engine, p.pipelines.get('p19b-bfv')!, 'p19b-bfv-cat', new RerankerEmbedder(p.reranker));
    expect(r).toMatchObject({ total: 4, vectorized: 4, failed: 0, conflicts: 0 });
    const c = await p.engine.json<any>('POST', '/p19b-bfv-cat/_count', { query: { exists: { field: 'image_vector' } } });
    expect(c.body.count).toBe(4);
  });

  it.runIf(!isElasticsearch(engine))('a data stream: every backing index backfilled, through the backing index', { timeout: 300_000 }, async () => {
    await template('p19b-bf-stream', 'p19b-bf-stream*', 'p19b-bf', true);
    await direct('p19b-bf-stream', TITLES.slice(0, 3).map((title) => ({ title })), 'create');
    expect((await p.engine.json('POST', '/p19b-bf-stream/_rollover')).statusCode).toBe(200);
    await direct('p19b-bf-stream', TITLES.slice(3).map((title) => ({ title })), 'create');
    const r = await backfillRecords(p.engine, p.pipelines.get('p19b-bf')!, 'p19b-bf-stream', new RerankerEmbedder(p.reranker));
    expect(r).toMatchObject({ total: 6, recorded: 6, conflicts: 0, failed: 0 });
    const after = await recordsIn('p19b-bf-stream');
    expect(new Set(after.map((d: any) => d.index)).size).toBe(2);
    expect(after.filter((d: any) => !d.recorded)).toEqual([]);
  });

  it.runIf(!isElasticsearch(engine))('setup on a data stream whose template lacks the fields names the component template that keeps them past a rollover', { timeout: 300_000 }, async () => {
    const pl = p.pipelines.get('p19b-bfv')!;
    const bare = { index_patterns: ['p19b-bf-bare*'], data_stream: {}, priority: 600, template: { mappings: { properties: { '@timestamp': { type: 'date' }, caption: { type: 'text' } } } } };
    expect((await p.engine.json('PUT', '/_index_template/p19b-bf-bare', bare)).statusCode).toBe(200);
    await direct('p19b-bf-bare', [{ caption: 'a cat' }], 'create');
    // OpenSearch: the backing index has no index.knn, which only creation sets — refused, the way out named
    const refused = await setupIndex(p.engine, pl, 'p19b-bf-bare').then(() => undefined, (e: Error) => e.message);
    expect(refused).toMatch(/without index\.knn: true.*next backing index .* does not map \[image_vector, image_text_vector\]/);
    const note = refused!;
    // the advice, followed: the component template in composed_of, then a rollover
    const component = JSON.parse(note!.slice(note!.indexOf('{')));
    expect((await p.engine.json('PUT', '/_component_template/p19b-bf-vlrerank', component)).statusCode).toBe(200);
    expect((await p.engine.json('PUT', '/_index_template/p19b-bf-bare', { ...bare, composed_of: ['p19b-bf-vlrerank'] })).statusCode).toBe(200);
    expect((await p.engine.json('POST', '/p19b-bf-bare/_rollover')).statusCode).toBe(200);
    const again = await setupIndex(p.engine, pl, 'p19b-bf-bare');
    expect((again.notes ?? []).filter((n) => n.includes('_component_template'))).toEqual([]);
    const m = await p.engine.json<any>('GET', '/p19b-bf-bare/_mapping');
    const newest = Object.keys(m.body).sort().at(-1)!;
    expect(m.body[newest].mappings.properties.image_vector.type).toBe('knn_vector');
  });
});
