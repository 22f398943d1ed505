/**
 * fix20d: backfill and search-time write-back read a pipeline's fields as ingest (fix20c) and the
 * search read them — a field alias, a multi-field (`title.keyword`) or a `copy_to` target, none of
 * them a key of `_source`, through the index mapping. Documents stored before fix20c (here: written
 * straight to the engine) got nothing from `index backfill` (no vectors, a record of nothing), and a
 * reranked search's write-back judged each such hit `changed` (its `_source` alone did not show the
 * document the search reranked) and wrote no record. Now each gets the vectors and the record the
 * same document with plain fields gets. Elasticsearch 8.19 and OpenSearch 2.19, the real models,
 * two COCO photos.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { pipelineProperties, sourceMapping } from '../../../src/engine/mapping.js';
import { parsePipeline } from '../../../src/pipelines/index.js';
import { parseRecord, unpackRecord } from '../../../src/features/record/index.js';
import { backfill } from '../../../src/ingest/backfill.js';
import { backfillRecords } from '../../../src/ingest/backfill-records.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { distributionOf } from '../../helpers/engines.js';
import { DOCS, COCO, fieldShapes } from '../../helpers/field-shapes.js';
import { ENGINES, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

// the `copy_to` photo target stored: OpenSearch 2.19's fields API shows no `copy_to` target, so the
// search reads one only as a stored field (one neither stored nor in `_source` is scored on the text
// alone there — under Known gaps)
const SHAPES = fieldShapes({ storedCopyTarget: true });
/** `r`: backfilled records (and vectors), `v`: backfilled vectors alone, `w`: written back by a search. */
const USES = ['r', 'v', 'w'] as const;
const index = (use: string, shape: string) => `f20d-${use}-${shape}`;
const yamlOf = (shape: string, text: string, image: string) =>
  `name: f20d-${shape}\nindex_patterns: ['f20d-*-${shape}']\nfields: {text: [${text}], image: [${image}], media_base: ${COCO}}\nfeatures: {store: index, write_back: true}\nvectors: {ingest: true, image: {field: image_vector, dims: 1280}, bridge: {field: image_text_vector, dims: 384}}\nfailure: fail_open\nbudget_ms: 300000\n`;

describe.each(ENGINES)('backfill and write-back read pipeline fields through the mapping, on %s', (engineName) => {
  let p: SearchProxy | undefined;
  const pipelineOf = (shape: string) => p!.pipelines.get(`f20d-${shape}`)!;
  /** Each document's vectors (from `_source`) and feature record, as the engine stores them. */
  const stored = async (name: string) => {
    await p!.engine.json('POST', `/${name}/_refresh`);
    const r = await p!.engine.json<any>('POST', `/${name}/_search`, { size: 10, stored_fields: ['_source', 'vlrerank_features'], query: { match_all: {} } });
    return Object.fromEntries(
      r.body.hits.hits.map((h: any) => {
        const raw = h.fields?.vlrerank_features;
        return [h._id, { visual: h._source.image_vector, bridge: h._source.image_text_vector, record: raw === undefined ? undefined : parseRecord(unpackRecord(Array.isArray(raw) ? raw[0] : raw)).record }];
      }),
    );
  };
  const writeBacks = async () => {
    const text = await (await fetch(`${p!.url}/_vlrerank/metrics`)).text();
    return Object.fromEntries([...text.matchAll(/^vlrerank_record_write_back_total\{outcome="([^"]+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
  };

  beforeAll(async () => {
    const files = Object.fromEntries(Object.entries(SHAPES).map(([shape, s]) => [`f20d-${shape}.yaml`, yamlOf(shape, s.text, s.image)]));
    p = await startSearchProxy(engineName, { pipelinesDir: pipelinesDir(files) });
    const dialect = distributionOf(engineName);
    for (const [shape, s] of Object.entries(SHAPES)) {
      const pl = parsePipeline(parseYaml(yamlOf(shape, 'x', 'y')), `${shape}.yaml`);
      const own = pipelineProperties({ ...pl, fields: { ...pl.fields, text: [], image: [], video: [] } }, dialect);
      const settings = { number_of_replicas: 0, ...(dialect === 'opensearch' ? { 'index.knn': true } : {}) };
      for (const use of USES) {
        // the `v` indices keep no records: backfill then writes vectors alone (ingest/backfill.ts)
        const props = use === 'v' ? Object.fromEntries(Object.entries(own).filter(([k]) => !k.startsWith('vlrerank_features'))) : own;
        await p.engine.json('DELETE', `/${index(use, shape)}`);
        const made = await p.engine.json('PUT', `/${index(use, shape)}`, { settings, mappings: { ...(use === 'v' ? {} : { _source: sourceMapping(pl) }), properties: { ...s.properties, ...props } } });
        expect(made.statusCode, JSON.stringify(made.body)).toBe(200);
        // straight to the engine, as documents stored before fix20c: no vectors, no records
        const nd = Object.entries(DOCS).flatMap(([id, d]) => [JSON.stringify({ index: { _id: id } }), JSON.stringify(s.doc(d))]).join('\n') + '\n';
        const w = await p.engine.json<any>('POST', `/${index(use, shape)}/_bulk?refresh=true`, nd, { 'content-type': 'application/x-ndjson' });
        expect(w.body.errors, JSON.stringify(w.body)).toBe(false);
      }
    }
  }, 600_000);
  afterAll(async () => {
    for (const shape of Object.keys(SHAPES)) for (const use of USES) await p?.engine.json('DELETE', `/${index(use, shape)}`);
    await p?.close();
  });

  it('index backfill (records and vectors): each document gets what the same document with plain fields gets', { timeout: 600_000 }, async () => {
    const embedder = new RerankerEmbedder(p!.reranker);
    for (const shape of Object.keys(SHAPES)) {
      const r = await backfillRecords(p!.engine, pipelineOf(shape), index('r', shape), embedder);
      expect(r, shape).toMatchObject({ total: 2, recorded: 2, failed: 0, skipped: 0 });
    }
    const plain = await stored(index('r', 'plain'));
    for (const shape of Object.keys(SHAPES).filter((s) => s !== 'plain')) {
      const got = await stored(index('r', shape));
      for (const id of Object.keys(DOCS)) {
        expect(plain[id]!.visual, `plain ${id}`).toHaveLength(1280);
        expect(plain[id]!.record?.image, `plain ${id}`).toBeDefined();
        expect(got[id]!.visual, `${shape} ${id}: visual vector`).toEqual(plain[id]!.visual);
        expect(got[id]!.bridge, `${shape} ${id}: bridge vector`).toEqual(plain[id]!.bridge);
        expect(got[id]!.record, `${shape} ${id}: feature record`).toEqual(plain[id]!.record);
      }
    }
  });

  it('index backfill (vectors alone, an index without records): the same vectors as with plain fields', { timeout: 600_000 }, async () => {
    const embedder = new RerankerEmbedder(p!.reranker);
    for (const shape of Object.keys(SHAPES)) {
      const r = await backfill(p!.engine, pipelineOf(shape), index('v', shape), embedder);
      expect(r, shape).toMatchObject({ total: 2, vectorized: 2, failed: 0 });
    }
    const plain = await stored(index('v', 'plain'));
    for (const shape of Object.keys(SHAPES).filter((s) => s !== 'plain')) {
      const got = await stored(index('v', shape));
      for (const id of Object.keys(DOCS)) {
        expect(got[id]!.visual, `${shape} ${id}: visual vector`).toEqual(plain[id]!.visual);
        expect(got[id]!.bridge, `${shape} ${id}: bridge vector`).toEqual(plain[id]!.bridge);
      }
    }
  });

  it('a reranked search writes back the records of such hits (was: judged changed, none written)', { timeout: 600_000 }, async () => {
    await p!.reranker.warm.wait();
    for (const shape of Object.keys(SHAPES)) {
      const before = await writeBacks();
      const r = await fetch(`${p!.url}/${index('w', shape)}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 2, query: { match_all: {} }, ext: { vlrerank: { query: 'a giraffe', window: 2 } } }) });
      const body = (await r.json()) as any;
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(body.hits.hits[0]._id, shape).toBe('g');
      await p!.srv.services.writeBack!.idle();
      const after = await writeBacks();
      expect({ written: (after.written ?? 0) - (before.written ?? 0), changed: (after.changed ?? 0) - (before.changed ?? 0) }, shape).toEqual({ written: 2, changed: 0 });
    }
    const plain = await stored(index('w', 'plain'));
    for (const shape of Object.keys(SHAPES).filter((s) => s !== 'plain')) {
      const got = await stored(index('w', shape));
      for (const id of Object.keys(DOCS)) {
        expect(plain[id]!.record?.image, `plain ${id}`).toBeDefined();
        expect(got[id]!.record, `${shape} ${id}: feature record`).toEqual(plain[id]!.record);
      }
    }
  });
});
