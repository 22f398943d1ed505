/**
 * A tenant allowed to read an index but not to write it (a gateway's 403, as a shared cluster's
 * HAProxy or the engine's own security answers): its first refused write still gets its photo's
 * vectors computed (vlrerank cannot tell beforehand: a tenant may write without the right to read
 * the mapping), but the writes after it with the same credentials to the same index, within a
 * minute, are sent as received — the engine's 403 at once, no model run (held-out probe round 13a,
 * left; fix14: each computed its vectors first). A write the gateway lets through after all is
 * stored as received, then completed by a conditional update before its client is answered — the
 * same vectors and record as the normal path writes for the same photo (fix14b: it stayed without
 * them, only `vlrerank.error` saying so); the next write gets its vectors on the normal path again.
 * A completion finding a newer version (written in between) is a conflict, never clobbering it.
 * Model runs counted from `vlrerank_model_runs_total`. Debian's HAProxy in front of real Elasticsearch 8.19, the
 * official client, real models and grocery photos.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { EngineClient } from '../../../src/engine/client.js';
import { setupIndex } from '../../../src/engine/mapping.js';
import { UpstreamPool } from '../../../src/proxy/pool.js';
import { completeWrite } from '../../../src/ingest/complete-write.js';
import { counterSum } from '../../helpers/metrics.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { startWriteGateway, type WriteGateway } from '../../helpers/write-gateway.js';

const INDEX = 'f14-gw-shop';
const PIPELINE = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
  .replace(/^name: grocery$/m, 'name: f14shop')
  .replace(/^index_patterns: .*$/m, 'index_patterns: [f14-gw-*]');

let gw: WriteGateway;
let p: SearchProxy;
let pool: UpstreamPool;
let direct: EngineClient;

beforeAll(async () => {
  p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelinesDir({ 'f14shop.yaml': PIPELINE }), via: async (url) => (gw = await startWriteGateway(url)).url });
  pool = new UpstreamPool(parseConfig({ upstream: { urls: [p.engineUrl] } }).upstream);
  direct = new EngineClient(pool);
  await direct.json('DELETE', `/${INDEX}`);
  await setupIndex(direct, p.pipelines.get('f14shop')!, INDEX);
  await p.reranker.warm.wait();
}, 600_000);
afterAll(async () => {
  await direct?.json('DELETE', `/${INDEX}`);
  await pool?.close();
  await p?.close();
  await gw?.stop();
});

async function write(i: number, headers: Record<string, string> = {}, id = `d${i}`): Promise<{ status: number; body: any }> {
  const es = new Client({ node: p.url, auth: { username: 'reader', password: 'reader-pw' }, headers });
  try {
    const r = await es.index({ index: INDEX, id, document: groceryDoc(catalog[30 + i]!) }, { meta: true });
    return { status: r.statusCode!, body: r.body };
  } catch (e) {
    if (!(e instanceof errors.ResponseError)) throw e;
    return { status: e.statusCode!, body: e.body };
  } finally {
    await es.close();
  }
}
const runs = () => counterSum(p.url, 'vlrerank_model_runs_total');

it('after a 403, the same credentials\' writes to that index are refused at once, without model runs; a write let through is completed with its vectors and record, and clears it', { timeout: 600_000 }, async () => {
  const r0 = await runs();
  const first = await write(0);
  expect(first.status).toBe(403);
  expect(first.body.error.type).toBe('security_exception');
  const r1 = await runs();
  expect(r1).toBeGreaterThan(r0); // the first refusal cannot be foreseen: its photo was embedded

  for (const i of [1, 2, 3]) {
    const again = await write(i);
    expect(again.status).toBe(403);
    expect(again.body).toEqual(first.body);
  }
  expect(await runs()).toBe(r1);

  // the rights granted meanwhile (same credentials): sent as received, stored — then completed with
  // its vectors and record by a conditional update, before its client is answered (the answer is the
  // engine's to the write); before (fix14) it stayed without them, only `vlrerank.error` saying so
  const completed = () => counterSum(p.url, 'vlrerank_write_completions_total', { outcome: 'written' });
  const c0 = await completed();
  const granted = await write(4, { 'x-f14-granted': 'yes' });
  expect(granted.status).toBe(201);
  // the answer names where the completing update left the document (its client's next if_seq_no write must match)
  const at = (await direct.json<any>('GET', `/${INDEX}/_doc/d4`)).body;
  expect(at._version).toBe(2);
  expect(granted.body).toMatchObject({ result: 'created', _version: at._version, _seq_no: at._seq_no, _primary_term: at._primary_term });
  expect(granted.body.vlrerank).toBeUndefined();
  const r2 = await runs();
  expect(r2).toBeGreaterThan(r1);
  expect(await completed()).toBe(c0 + 1);
  // …which forgot the refusal: the next write gets its vectors on the normal path — the same photo as d4
  const twin = await write(4, { 'x-f14-granted': 'yes' }, 'n4');
  expect(twin.status).toBe(201);
  expect(twin.body.vlrerank).toBeUndefined(); // (its photo's features were computed by the completion: no model run)
  expect(await completed()).toBe(c0 + 1);
  // the completed document holds what the normal path writes: the same vectors (out of `_source`: read as doc values) and record
  await direct.json('POST', `/${INDEX}/_refresh`);
  const FIELDS = ['image_vector', 'image_text_vector'];
  const read = async (id: string) => (await direct.json<any>('POST', `/${INDEX}/_search`, { query: { ids: { values: [id] } }, docvalue_fields: FIELDS, stored_fields: ['vlrerank_features'], _source: true })).body.hits.hits[0];
  const [d4, n4] = [await read('d4'), await read('n4')];
  for (const f of FIELDS) {
    expect(d4.fields?.[f]?.[0]).toHaveLength(f === 'image_vector' ? 1280 : 384);
    expect(d4.fields[f]).toEqual(n4.fields[f]);
  }
  expect(d4.fields.vlrerank_features?.[0]).toBeTruthy();
  expect(d4.fields.vlrerank_features).toEqual(n4.fields.vlrerank_features);
  expect(d4._source).toEqual(n4._source);
  // the client's next conditional write, from its answer, is taken (it was a 409: the answer named the version before the completion)
  const es = new Client({ node: p.url, auth: { username: 'reader', password: 'reader-pw' }, headers: { 'x-f14-granted': 'yes' } });
  const again = await es.index({ index: INDEX, id: 'd4', document: d4._source, if_seq_no: granted.body._seq_no, if_primary_term: granted.body._primary_term }, { meta: true }).finally(() => es.close());
  expect(again.statusCode).toBe(200);
});

it('an `_update` let through after a 403 is completed from the document it made: the vectors of its new photo and its record', { timeout: 600_000 }, async () => {
  const completed = () => counterSum(p.url, 'vlrerank_write_completions_total', { outcome: 'written' });
  expect((await write(8, { 'x-f14-granted': 'yes' }, 'u1')).status).toBe(201); // the normal path
  expect((await write(9)).status).toBe(403); // remembered
  const c0 = await completed();
  const es = new Client({ node: p.url, auth: { username: 'reader', password: 'reader-pw' }, headers: { 'x-f14-granted': 'yes' } });
  const upd = await es.update({ index: INDEX, id: 'u1', doc: groceryDoc(catalog[37]!) }, { meta: true }).finally(() => es.close());
  expect(upd.statusCode).toBe(200);
  expect(upd.body).toMatchObject({ result: 'updated', _version: 3 }); // 2 the update, 3 its completion
  expect((upd.body as any).vlrerank).toBeUndefined();
  expect(await completed()).toBe(c0 + 1);
  // the same product written on the normal path
  expect((await write(7, { 'x-f14-granted': 'yes' }, 'n7')).status).toBe(201);
  await direct.json('POST', `/${INDEX}/_refresh`);
  const read = async (id: string) => (await direct.json<any>('POST', `/${INDEX}/_search`, { query: { ids: { values: [id] } }, docvalue_fields: ['image_vector', 'image_text_vector'], stored_fields: ['vlrerank_features'], _source: true })).body.hits.hits[0];
  const [u1, n7] = [await read('u1'), await read('n7')];
  expect(u1.fields.image_vector?.[0]).toHaveLength(1280);
  expect(u1.fields).toEqual(n7.fields);
  expect(u1._source).toEqual(n7._source);
});

it('a completion finding a newer version of its document (written in between) leaves it alone: a conflict (the outcome counted), never retried', { timeout: 600_000 }, async () => {
  const pipeline = p.pipelines.get('f14shop')!;
  const doc = groceryDoc(catalog[36]!) as Record<string, unknown>;
  const first = await direct.json<any>('PUT', `/${INDEX}/_doc/c1`, doc);
  expect(first.statusCode).toBe(201);
  // a client's newer write lands before the completion runs
  const newer = { ...doc, name: 'a newer version' };
  expect((await direct.json<any>('PUT', `/${INDEX}/_doc/c1`, newer)).statusCode).toBe(200);
  const deps = { pool, embedder: p.srv.services.ingestEmbedder };
  const r = await completeWrite(deps, pipeline, { op: 'index', path: `/${INDEX}/_doc/c1`, headers: [], doc, answer: JSON.stringify(first.body) });
  expect(r).toEqual({ outcome: 'conflict', error: undefined });
  const now = await direct.json<any>('GET', `/${INDEX}/_doc/c1`);
  expect(now.body).toMatchObject({ _version: 2, _source: newer });
  await direct.json('POST', `/${INDEX}/_refresh`);
  const has = (await direct.json<any>('POST', `/${INDEX}/_count`, { query: { bool: { filter: [{ ids: { values: ['c1'] } }, { exists: { field: 'image_vector' } }] } } })).body.count;
  expect(has).toBe(0);
  // an `_update` answered before the newer version: found moved on reading it back, no model run
  const r0 = await runs();
  const upd = await direct.json<any>('POST', `/${INDEX}/_update/c1`, { doc: { name: 'updated' } });
  expect((await direct.json<any>('PUT', `/${INDEX}/_doc/c1`, newer)).statusCode).toBe(200);
  expect(await completeWrite(deps, pipeline, { op: 'update', path: `/${INDEX}/_update/c1`, headers: [], doc: undefined, answer: JSON.stringify(upd.body) })).toEqual({ outcome: 'conflict' });
  expect(await runs()).toBe(r0);
});
