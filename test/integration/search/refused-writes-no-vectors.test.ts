/**
 * A tenant allowed to read an index but not to write it (a gateway's 403, as a shared cluster's
 * HAProxy or the engine's own security answers): its first refused write still gets its photo's
 * vectors computed (vlrerank cannot tell beforehand: a tenant may write without the right to read
 * the mapping), but the writes after it with the same credentials to the same index, within a
 * minute, are sent as received — the engine's 403 at once, no model run (held-out probe round 13a,
 * left; fix14: each computed its vectors first). A write the gateway lets through after all is
 * stored as received and its answer says so; the next one gets its vectors again. Model runs counted
 * from `vlrerank_model_runs_total`. Debian's HAProxy in front of real Elasticsearch 8.19, the
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

async function write(i: number, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const es = new Client({ node: p.url, auth: { username: 'reader', password: 'reader-pw' }, headers });
  try {
    const r = await es.index({ index: INDEX, id: `d${i}`, document: groceryDoc(catalog[30 + i]!) }, { meta: true });
    return { status: r.statusCode!, body: r.body };
  } catch (e) {
    if (!(e instanceof errors.ResponseError)) throw e;
    return { status: e.statusCode!, body: e.body };
  } finally {
    await es.close();
  }
}
const runs = () => counterSum(p.url, 'vlrerank_model_runs_total');

it('after a 403, the same credentials\' writes to that index are refused at once, without model runs; a write let through says so and clears it', { timeout: 600_000 }, async () => {
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

  // the rights granted meanwhile (same credentials): stored as received, and the answer says why
  const granted = await write(4, { 'x-f14-granted': 'yes' });
  expect(granted.status).toBe(201);
  expect(granted.body.vlrerank).toMatchObject({ vectors: false, error: { reason: expect.stringMatching(/refused these credentials' writes \(403\)/) } });
  expect(await runs()).toBe(r1);
  // …which forgot the refusal: the next write gets its vectors again
  const next = await write(5, { 'x-f14-granted': 'yes' });
  expect(next.status).toBe(201);
  expect(next.body.vlrerank).toBeUndefined();
  expect(await runs()).toBeGreaterThan(r1);
  // stored vectors are out of `_source` when the mapping excludes them: asked by the field's presence
  const has = async (id: string) => (await direct.json<any>('POST', `/${INDEX}/_count`, { query: { bool: { filter: [{ ids: { values: [id] } }, { exists: { field: 'image_vector' } }] } } })).body.count;
  await direct.json('POST', `/${INDEX}/_refresh`);
  expect(await has('d4')).toBe(0);
  expect(await has('d5')).toBe(1);
});
