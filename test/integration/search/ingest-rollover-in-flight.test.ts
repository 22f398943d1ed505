/**
 * A rollover while a `_bulk` through the alias is being computed (held-out probe round 19b): the
 * write is judged by the index the alias wrote to when the body began (set up by `vlrerank index
 * setup`: vectors and records mapped), the rollover then moves it to a new index the cluster makes
 * without them, and the engine refused each document with the vectors computed for the old one
 * (`mapper [image_vector] cannot be changed from type [float] to [long]`) — 24 of 24 photos lost in
 * the probe, where the engine directly stores them. Those documents are now sent once more as the
 * client sent them, each item saying why it has no vectors.
 * The order is made, not raced: the body is streamed, and the rollover comes once the proxy has read
 * the alias's mapping (a relay in front of the engine counts vlrerank's calls). Elasticsearch 8.19
 * and OpenSearch 2.19, the real image and text models, real COCO photos.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { DATA } from '../../helpers/paths.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { ENGINES, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { until } from '../../helpers/until.js';

const COCO = join(DATA, 'coco-captions-mini');
const photos = readFileSync(join(COCO, 'captions.jsonl'), 'utf8').trim().split('\n').slice(200, 204).map((l) => JSON.parse(l) as { image: string; captions: string[] });
const PIPELINES = {
  'p19b-ron.yaml': `name: p19b-ron\nindex_patterns: [p19b-ron-*, p19b-ror-*]\nfailure: fail_open\nfields: {text: [title]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: index}\n`,
  'p19b-ro.yaml': `name: p19b-ro\nindex_patterns: [p19b-ro-*]\nfailure: fail_open\nfields: {text: [caption], image: [image]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: index}\nvectors: {ingest: true, image: {field: image_vector, dims: 1280}, bridge: {field: image_text_vector, dims: 384}}\n`,
};
const ALIAS = 'p19b-ro-w';

/** POST a `_bulk` whose first document is sent, then `between()` awaited, then the rest. */
function streamedBulk(url: string, alias: string, lines: string[], between: () => Promise<void>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/${alias}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' } }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(t) }));
    });
    req.on('error', reject);
    req.write(lines.slice(0, 2).join('\n') + '\n');
    between().then(() => req.end(lines.slice(2).join('\n') + '\n'), reject);
  });
}

describe.each(ENGINES)('a rollover while a _bulk through the alias is computed, on %s', (engine) => {
  let p: SearchProxy;
  let relay: CountingRelay;
  const clean = async () => {
    for (const i of ['p19b-ro-000001', 'p19b-ro-000002', 'p19b-ron-000001', 'p19b-ron-000002', 'p19b-ror-000001', 'p19b-ror-000002']) await p.engine.json('DELETE', `/${i}`);
    await p.engine.json('DELETE', '/_index_template/p19b-ror-2');
  };
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES), via: async (url) => (relay = await countingRelay(url)).url });
    await clean();
  }, 300_000);
  afterAll(async () => {
    if (p) await clean();
    await p?.close();
  });

  it('every document is stored: those the new index refused with vectors are sent again as sent', { timeout: 300_000 }, async () => {
    await setupIndex(p.engine, p.pipelines.get('p19b-ro')!, 'p19b-ro-000001');
    expect((await p.engine.json('POST', '/_aliases', { actions: [{ add: { index: 'p19b-ro-000001', alias: ALIAS, is_write_index: true } }] })).statusCode).toBe(200);
    const lines = photos.flatMap((ph, i) => [JSON.stringify({ index: { _id: `d${i}` } }), JSON.stringify({ caption: ph.captions[0], image: join(COCO, ph.image) })]);
    const read = `GET /${ALIAS}/_mapping`;
    const r = await streamedBulk(p.url, ALIAS, lines, async () => {
      await until(() => relay.seen.some((s) => s.startsWith(read)), { tries: 600, everyMs: 100, what: 'the alias mapping read' });
      expect((await p.engine.json('POST', `/${ALIAS}/_rollover`)).statusCode).toBe(200);
    });
    expect(r.status).toBe(200);
    const items = r.body.items.map((it: any) => it.index);
    expect(items.map((it: any) => it.status), JSON.stringify(items[0]).slice(0, 400)).toEqual([201, 201, 201, 201]);
    expect(r.body.errors).toBe(false);
    for (const it of items) {
      expect(it._index).toBe('p19b-ro-000002');
      expect(it.vlrerank?.error?.reason).toMatch(/vectors not added .* a rollover sent this write while it was computed for \[p19b-ro-000001\]/);
    }
    expect(r.body.vlrerank).toMatchObject({ documents_with_vectors: 0, documents_without_vectors: 4 });
    await p.engine.json('POST', `/${ALIAS}/_refresh`);
    const stored = await p.engine.json<any>('POST', `/${ALIAS}/_search`, { size: 10, query: { match_all: {} } });
    expect(stored.body.hits.hits.map((h: any) => h._id).sort()).toEqual(['d0', 'd1', 'd2', 'd3']);
    // stored as the client sent them: no vectors or record shown in _source
    for (const h of stored.body.hits.hits) expect(Object.keys(h._source).sort()).toEqual(['caption', 'image']);
  });

  it('records: written again as sent where the new index would show them in _source', { timeout: 300_000 }, async () => {
    const alias = 'p19b-ron-w';
    await setupIndex(p.engine, p.pipelines.get('p19b-ron')!, 'p19b-ron-000001');
    expect((await p.engine.json('POST', '/_aliases', { actions: [{ add: { index: 'p19b-ron-000001', alias, is_write_index: true } }] })).statusCode).toBe(200);
    const lines = ['oat milk', 'almond milk', 'soy drink', 'rice drink'].flatMap((title, i) => [JSON.stringify({ create: { _id: `n${i}` } }), JSON.stringify({ title })]);
    const r = await streamedBulk(p.url, alias, lines, async () => {
      await until(() => relay.seen.some((s) => s.startsWith(`GET /${alias}/_mapping`)), { tries: 600, everyMs: 100, what: 'the alias mapping read' });
      expect((await p.engine.json('POST', `/${alias}/_rollover`)).statusCode).toBe(200);
    });
    expect(r.status).toBe(200);
    const items = r.body.items.map((it: any) => it.create);
    expect(items.map((it: any) => it.status)).toEqual([201, 201, 201, 201]);
    for (const it of items) expect(it.vlrerank?.error?.reason).toMatch(/feature record not kept .* a rollover sent this write while it was computed for \[p19b-ron-000001\]/);
    expect(r.body.vlrerank.documents_with_feature_records).toBeUndefined();
    await p.engine.json('POST', `/${alias}/_refresh`);
    const stored = await p.engine.json<any>('POST', `/${alias}/_search`, { size: 10, query: { match_all: {} }, seq_no_primary_term: true });
    expect(stored.body.hits.hits.map((h: any) => h._id).sort()).toEqual(['n0', 'n1', 'n2', 'n3']);
    // no record shown to readers; the answer's seq_no is the document's (a client's if_seq_no write matches it)
    for (const h of stored.body.hits.hits) {
      expect(h._source).toEqual({ title: expect.any(String) });
      expect(items.find((it: any) => it._id === h._id)._seq_no).toBe(h._seq_no);
    }
  });

  it('a document the new index refuses as sent too gets the engine\'s own answer, as directly', { timeout: 300_000 }, async () => {
    const alias = 'p19b-ror-w';
    // the index the rollover makes maps `title` as a number: the notes are refused there whatever vlrerank adds
    const tpl = { index_patterns: ['p19b-ror-000002'], priority: 700, template: { mappings: { properties: { title: { type: 'integer' } } } } };
    expect((await p.engine.json('PUT', '/_index_template/p19b-ror-2', tpl)).statusCode).toBe(200);
    await setupIndex(p.engine, p.pipelines.get('p19b-ron')!, 'p19b-ror-000001');
    expect((await p.engine.json('POST', '/_aliases', { actions: [{ add: { index: 'p19b-ror-000001', alias, is_write_index: true } }] })).statusCode).toBe(200);
    const lines = ['oat milk', 'almond milk'].flatMap((title, i) => [JSON.stringify({ index: { _id: `r${i}` } }), JSON.stringify({ title })]);
    const r = await streamedBulk(p.url, alias, lines, async () => {
      await until(() => relay.seen.some((s) => s.startsWith(`GET /${alias}/_mapping`)), { tries: 600, everyMs: 100, what: 'the alias mapping read' });
      expect((await p.engine.json('POST', `/${alias}/_rollover`)).statusCode).toBe(200);
    });
    const direct = await p.engine.json<any>('POST', `/${alias}/_bulk`, lines.join('\n') + '\n', { 'content-type': 'application/x-ndjson' });
    const items = r.body.items.map((it: any) => it.index);
    expect(items.map((it: any) => [it.status, it.error?.type])).toEqual(direct.body.items.map((it: any) => [it.index.status, it.index.error?.type]));
    expect(items.every((it: any) => it.status === 400 && it.vlrerank === undefined)).toBe(true);
    expect(r.body.errors).toBe(true);
  });
});
