/**
 * fix20c: ingest reads a pipeline's fields as the search reads them. A pipeline whose `fields` name a
 * field alias (`type: alias`), a multi-field (`title.keyword`) or a `copy_to` target — none of them a
 * key of the document as written — got no vectors and no record from them at ingest, and nothing
 * said so (held-out probe round 20b: 0 of 2 documents got vectors on an alias photo field), so a kNN
 * first stage could not find them. Now each field is resolved through the index's mapping (the one
 * the write already reads): the vectors and the record of each document are the same as those of the
 * same document written with plain fields. A pipeline field the index does not map at all, while
 * the document has other pipeline fields, is said in the item's `vlrerank` note.
 * Elasticsearch 8.19 and OpenSearch 2.19, the real models, COCO photos.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { pipelineProperties, sourceMapping } from '../../../src/engine/mapping.js';
import { parsePipeline } from '../../../src/pipelines/index.js';
import { parseRecord, unpackRecord } from '../../../src/features/record/index.js';
import type { RunningServer } from '../../../src/server/start.js';
import { distributionOf, useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';
import { COCO, DOCS, fieldShapes } from '../../helpers/field-shapes.js';
import { ENGINES } from '../../helpers/search-fixtures.js';

const SHAPES = fieldShapes();
const index = (shape: string) => `f20c-t-${shape}`;
const yamlOf = (shape: string, text: string, image: string) =>
  `name: f20c-t-${shape}\nindex_patterns: [${index(shape)}]\nfields: {text: [${text}], image: [${image}], media_base: ${COCO}}\nfeatures: {store: index}\nvectors: {ingest: true, image: {field: image_vector, dims: 1280}, bridge: {field: image_text_vector, dims: 384}}\nfailure: fail_open\nbudget_ms: 300000\n`;

describe.each(ENGINES)('ingest reads pipeline fields through the mapping, on %s', (engineName) => {
  let engine: string;
  let srv: RunningServer;
  const json = async (url: string, method: string, body?: unknown, ct = 'application/json') => {
    const r = await fetch(url, { method, headers: { 'content-type': ct }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as any };
  };
  /** Each document's vectors (from `_source`) and feature record, as the engine stores them. */
  const stored = async (shape: string) => {
    const r = await json(`${engine}/${index(shape)}/_search`, 'POST', { size: 10, stored_fields: ['_source', 'vlrerank_features'], query: { match_all: {} } });
    return Object.fromEntries(
      r.body.hits.hits.map((h: any) => {
        const raw = h.fields?.vlrerank_features;
        return [h._id, { visual: h._source.image_vector, bridge: h._source.image_text_vector, record: raw === undefined ? undefined : parseRecord(unpackRecord(Array.isArray(raw) ? raw[0] : raw)).record }];
      }),
    );
  };
  const create = async (shape: string, properties: Record<string, unknown>) => {
    const dialect = distributionOf(engineName);
    const p = parsePipeline(parseYaml(yamlOf(shape, 'x', 'y')), `${shape}.yaml`);
    const own = pipelineProperties({ ...p, fields: { ...p.fields, text: [], image: [], video: [] } }, dialect);
    await fetch(`${engine}/${index(shape)}`, { method: 'DELETE' });
    const settings = { number_of_replicas: 0, ...(dialect === 'opensearch' ? { 'index.knn': true } : {}) };
    const r = await json(`${engine}/${index(shape)}`, 'PUT', { settings, mappings: { _source: sourceMapping(p), properties: { ...properties, ...own } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };

  beforeAll(async () => {
    engine = await useEngine(engineName);
    const pipelines: Record<string, string> = {};
    for (const [shape, s] of Object.entries(SHAPES)) {
      await create(shape, s.properties);
      pipelines[`${shape}.yaml`] = yamlOf(shape, s.text, s.image);
    }
    pipelines['unmapped.yaml'] = yamlOf('unmapped', 'title', 'photo');
    await create('unmapped', SHAPES.plain!.properties);
    srv = await startEdgeServer({ upstream: engine, pipelinesDir: onlyPipelines(pipelines) });
    // each shape: one document by `_doc`, one by `_bulk`, through vlrerank
    for (const [shape, s] of Object.entries(SHAPES)) {
      const one = await json(`${srv.url}/${index(shape)}/_doc/g?refresh=true`, 'PUT', s.doc(DOCS.g));
      expect(one.status, JSON.stringify(one.body)).toBe(201);
      const bulk = await json(`${srv.url}/_bulk?refresh=true`, 'POST', `${JSON.stringify({ index: { _index: index(shape), _id: 'p' } })}\n${JSON.stringify(s.doc(DOCS.p))}\n`, 'application/x-ndjson');
      expect(bulk.body.errors, JSON.stringify(bulk.body)).toBe(false);
    }
  }, 600_000);

  afterAll(async () => {
    await srv?.close();
    for (const shape of [...Object.keys(SHAPES), 'unmapped']) await fetch(`${engine}/${index(shape)}`, { method: 'DELETE' });
  });

  for (const shape of Object.keys(SHAPES).filter((s) => s !== 'plain')) {
    it(`${shape}: each document gets the vectors and the record the same document with plain fields gets`, { timeout: 300_000 }, async () => {
      const plain = await stored('plain');
      const got = await stored(shape);
      for (const id of Object.keys(DOCS)) {
        expect(plain[id]!.visual, `plain ${id}`).toHaveLength(1280);
        expect(plain[id]!.record, `plain ${id}`).toBeDefined();
        expect(got[id]!.visual, `${shape} ${id}: visual vector`).toEqual(plain[id]!.visual);
        expect(got[id]!.bridge, `${shape} ${id}: bridge vector`).toEqual(plain[id]!.bridge);
        expect(got[id]!.record, `${shape} ${id}: feature record`).toEqual(plain[id]!.record);
      }
    });
  }

  it('a kNN first stage (search by photo) finds the documents of an alias photo field', { timeout: 300_000 }, async () => {
    const photo = `data:image/jpeg;base64,${readFileSync(join(COCO, DOCS.g.img)).toString('base64')}`;
    const r = await json(`${srv.url}/${index('alias')}/_search`, 'POST', { size: 2, ext: { vlrerank: { query: { image: photo } } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.hits.hits.map((h: any) => h._id)).toEqual(['g', 'p']);
  });

  it('a pipeline field the index does not map, while the document has another, is said in the item\'s vlrerank note', { timeout: 300_000 }, async () => {
    // the pipeline reads `photo`; the index maps `img` (a team that named the wrong field)
    const one = await json(`${srv.url}/${index('unmapped')}/_doc/g?refresh=true`, 'PUT', DOCS.g);
    expect(one.status).toBe(201);
    expect(one.body.vlrerank?.note).toMatchObject({ type: 'mapper_exception', vlrerank_code: 'VLR_BAD_REQUEST' });
    expect(one.body.vlrerank.note.reason).toMatch(/^pipeline field \[photo\] read nothing: index \[f20c-t-unmapped\] maps no such field/);
    const lines = [{ index: { _index: index('unmapped'), _id: 'p' } }, DOCS.p, { index: { _index: index('unmapped'), _id: 'bare' } }, { sku: 'x1' }];
    const bulk = await json(`${srv.url}/_bulk?refresh=true`, 'POST', `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`, 'application/x-ndjson');
    expect(bulk.body.errors).toBe(false);
    expect(bulk.body.items[0].index.vlrerank?.note?.reason).toMatch(/^pipeline field \[photo\] read nothing/);
    // a document with none of the pipeline's fields has nothing to say; no document counts as lacking vectors
    expect(bulk.body.items[1].index.vlrerank).toBeUndefined();
    expect(bulk.body.vlrerank).toMatchObject({ documents_without_vectors: 0 });
    // an index that maps every pipeline field says nothing of a document without a photo
    const plain = await json(`${srv.url}/${index('plain')}/_doc/np?refresh=true`, 'PUT', { title: 'no photo' });
    expect(plain.status).toBe(201);
    expect(plain.body.vlrerank).toBeUndefined();
  });
});
