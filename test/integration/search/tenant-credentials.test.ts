/**
 * vlrerank in front of a cluster shared by tenants, each with its own credentials and index rights
 * (held-out probe round 13a): a real authenticating gateway (Debian's HAProxy, test/helpers/
 * tenant-gateway.ts) in front of Elasticsearch 8.19, vlrerank with **no credentials of its own**
 * in front of that, the official client. Every answer is compared with the same request sent to the
 * gateway directly; the gateway's log says whose credentials each call vlrerank made carried.
 * - which engine answers was asked with no credentials only: every reranked search answered 502
 *   "cannot tell the upstream engine" — now asked with the client's, and its refusal is the
 *   client's answer (401 with `WWW-Authenticate`, which was dropped, or 403), as directly;
 * - a tenant without rights to an alias got vlrerank's 400 "no vlrerank pipeline covers" where the
 *   engine says 403;
 * - an `_msearch` with credentials the engine refuses answered 200 with a 401 per item;
 * - a tenant known by the gateway's `apikey` header had vlrerank's reads and its record write-back
 *   made without it (refused: never written; with credentials in the upstream URL, written with
 *   vlrerank's own on behalf of a read-only tenant);
 * - a write without credentials read the index mapping twice and computed the documents' vectors
 *   before the engine's inevitable 401 (into whose body a `_doc` merged a `vlrerank` error).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { EngineClient } from '../../../src/engine/client.js';
import { setupIndex } from '../../../src/engine/mapping.js';
import { UpstreamPool } from '../../../src/proxy/pool.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { startTenantGateway, type TenantGateway } from '../../helpers/tenant-gateway.js';
import { until } from '../../helpers/until.js';

const A = 'p13a-a-shop';
const B = 'p13a-b-shop';
const A2 = 'p13a-a-shop2'; // untouched until the write-back test
const ALIAS = 'p13a-a-al';
const PIPELINE =
  readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
    .replace(/^name: grocery$/m, 'name: p13shop')
    .replace(/^index_patterns: .*$/m, 'index_patterns: [p13a-a-shop*, p13a-b-shop*]')
    .replace(/^budget_ms: \d+$/m, 'budget_ms: 300000') + '\nfeatures:\n  write_back: true\n';

type Auth = ConstructorParameters<typeof Client>[0]['auth'];
const who = {
  none: {},
  wrong: { auth: { username: 'alice', password: 'wrong' } },
  alice: { auth: { username: 'alice', password: 'alice-pw' } },
  aKey: { headers: { apikey: 'ka-secret-1' } },
  bob: { auth: { username: 'bob', password: 'bob-pw' } },
  bKey: { headers: { apikey: 'kb-secret-2' } },
} satisfies Record<string, { auth?: Auth; headers?: Record<string, string> }>;
type Who = keyof typeof who;

let gw: TenantGateway;
let p: SearchProxy;
let direct: EngineClient;
let pool: UpstreamPool;
const client = (url: string, w: Who) => new Client({ node: url, ...who[w] });
/** Status, body and `WWW-Authenticate` of a call through the official client. */
async function answer(call: Promise<unknown>): Promise<{ status: number; body: any; challenge?: unknown }> {
  try {
    const r = (await call) as any;
    return { status: 200, body: r };
  } catch (e) {
    if (!(e instanceof errors.ResponseError)) throw e;
    return { status: e.statusCode!, body: e.body, challenge: e.meta.headers?.['www-authenticate'] };
  }
}
const rerankOn = (index: string) => ({ index, size: 3, query: { match_all: {} }, ext: { vlrerank: { query: 'orange juice', window: 8 } } });

beforeAll(async () => {
  p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelinesDir({ 'p13shop.yaml': PIPELINE }), via: async (url) => (gw = await startTenantGateway(url)).url });
  pool = new UpstreamPool(parseConfig({ upstream: { urls: [p.engineUrl] } }).upstream);
  direct = new EngineClient(pool);
  for (const [index, prefix, from] of [[A, 'a', 0], [B, 'b', 8], [A2, 'a', 0]] as const) {
    await direct.json('DELETE', `/${index}`);
    await setupIndex(direct, p.pipelines.get('p13shop')!, index);
    // straight to the engine: no feature records (a reranked search offers them for write-back)
    const nd = catalog.slice(from, from + 6).flatMap((d, i) => [JSON.stringify({ index: { _id: `${prefix}${i}` } }), JSON.stringify(groceryDoc(d))]).join('\n') + '\n';
    expect((await direct.json<any>('POST', `/${index}/_bulk?refresh=true`, nd, { 'content-type': 'application/x-ndjson' })).body.errors).toBe(false);
  }
  expect((await direct.json('POST', '/_aliases', { actions: [{ add: { index: A, alias: ALIAS } }] })).statusCode).toBe(200);
  await p.reranker.warm.wait();
}, 600_000);
afterAll(async () => {
  for (const i of [A, B, A2]) await direct?.json('DELETE', `/${i}`);
  await pool?.close();
  await p?.close();
  await gw?.stop();
});

it('with no credentials of its own, vlrerank answers each client as the engine does: its refusal (401 + WWW-Authenticate, 403) or the reranked hits', { timeout: 600_000 }, async () => {
  for (const w of ['none', 'wrong', 'bob', 'bKey'] as const) {
    const [via, straight] = [await answer(client(p.url, w).search(rerankOn(A) as never)), await answer(client(gw.url, w).search({ index: A, size: 3 }))];
    expect(via.status, w).toBe(straight.status);
    expect(via.body, w).toEqual(straight.body);
    // several challenges come as one list, which RFC 9110 (§5.3, §11.6.1) takes as the same field
    expect(via.challenge, w).toEqual([straight.challenge].flat().filter(Boolean).join(', ') || undefined);
  }
  for (const w of ['alice', 'aKey'] as const) {
    const r = await answer(client(p.url, w).search(rerankOn(A) as never));
    expect(r.status, w).toBe(200);
    expect(r.body.hits.hits.map((h: any) => h._index), w).toEqual([A, A, A]);
    expect(r.body.vlrerank.degraded, w).toBe(false);
  }
});

it('a tenant without rights to an alias gets the engine\'s 403, not vlrerank\'s 400', { timeout: 600_000 }, async () => {
  const via = await answer(client(p.url, 'bob').search(rerankOn(ALIAS) as never));
  const straight = await answer(client(gw.url, 'bob').search({ index: ALIAS }));
  expect(straight.status).toBe(403);
  expect(via).toEqual(straight);
});

it('an _msearch with credentials the engine does not authenticate is its 401, not a 200 of refused items', { timeout: 600_000 }, async () => {
  const searches = [{ index: A }, rerankOn(A), { index: A }, { query: { match_all: {} }, size: 1 }];
  const via = await answer(client(p.url, 'wrong').msearch({ searches } as never));
  const straight = await answer(client(gw.url, 'wrong').msearch({ searches: [{ index: A }, { size: 1 }] } as never));
  expect(straight.status).toBe(401);
  expect(via).toEqual(straight);
});

it('the record write-back of a tenant known by its `apikey` header goes with that header: written for tenant A; refused for read-only B, and not tried again for it meanwhile', { timeout: 600_000 }, async () => {
  const outcome = async (o: string) => Number((await (await fetch(`${p.url}/_vlrerank/metrics`)).text()).match(new RegExp(`^vlrerank_record_write_back_total\\{outcome="${o}"\\} (\\d+)`, 'm'))?.[1] ?? 0);
  await p.srv.services.writeBack!.idle(); // the earlier tests' write-backs
  const [written, refused, failed] = [await outcome('written'), await outcome('refused'), await outcome('failed')];
  const from = gw.lines().length;
  for (const [w, index] of [['aKey', A2], ['bKey', B]] as const) expect((await answer(client(p.url, w).search(rerankOn(index) as never))).status, w).toBe(200);
  await p.srv.services.writeBack!.idle();
  const calls = () => gw.lines().slice(from).filter((l) => /\/(_mapping|_mget|_bulk)\b/.test(l));
  await until(() => calls().filter((l) => l.includes('/_bulk ')).length >= 2, { tries: 1500, everyMs: 20, what: 'the gateway logs both write-backs' }); // it logs after answering
  expect(calls().filter((l) => l.includes(`/${A2}/`)).sort()).toEqual([`GET /${A2}/_mapping 200 who=a`, `POST /${A2}/_bulk 200 who=a`, `POST /${A2}/_mget 200 who=a`]);
  // B may read its index, not write it: its write-back ends at the gateway's refusal, made with B's key
  const bCalls = calls().filter((l) => l.includes(`/${B}/`));
  expect(bCalls.every((l) => l.endsWith(' who=b'))).toBe(true);
  expect(bCalls).toContain(`POST /${B}/_bulk 403 who=b`); // (the gateway's log is not in request order)
  expect((await outcome('written')) - written).toBe(6); // A's six documents, none of B's
  expect((await outcome('refused')) - refused).toBe(6);
  // B searches again: its hits are not offered to an index that refused it (no records computed, no calls)
  expect((await answer(client(p.url, 'bKey').search(rerankOn(B) as never))).status).toBe(200);
  await p.srv.services.writeBack!.idle();
  expect(calls().filter((l) => l.includes(`/${B}/`))).toEqual(bCalls);
  expect((await outcome('refused')) - refused).toBe(12);
  expect(await outcome('failed')).toBe(failed);
});

it('a write the engine does not authenticate costs one refused mapping read and no model work: its 401 as directly', { timeout: 600_000 }, async () => {
  const runs = async () => [...(await (await fetch(`${p.url}/_vlrerank/metrics`)).text()).matchAll(/^vlrerank_feature_lookups_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  const doc = (n: number) => ({ ...groceryDoc(catalog[40 + n]!), title: `unheard-of product ${n} ${Date.now()}` });
  const before = await runs();
  for (const [what, send] of [
    ['_doc', (url: string) => client(url, 'none').index({ index: A, id: 'anon', document: doc(0) })],
    ['_bulk', (url: string) => client(url, 'none').bulk({ index: A, operations: [{ index: { _id: 'anon1' } }, doc(1), { index: { _id: 'anon2' } }, doc(2)] })],
  ] as const) {
    const from = gw.lines().length;
    const via = await answer(send(p.url));
    const straight = await answer(send(gw.url));
    expect(straight.status, what).toBe(401);
    expect(via, what).toEqual(straight);
    // it logs after answering, and not always in the order answered: waited for until the mapping read's
    // line is in too (a fresh CI run once saw three lines of this phase without it, the read logged later)
    await until(() => gw.lines().length >= from + 3 && gw.lines().slice(from).some((l) => l.includes('_mapping')), { tries: 1500, everyMs: 20, what: 'the gateway logs both writes and the mapping read' });
    expect(gw.lines().slice(from).filter((l) => l.includes('_mapping')), what).toEqual([`GET /${A}/_mapping 401 who=-`]);
  }
  expect(await runs()).toBe(before);
});
