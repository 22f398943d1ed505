/**
 * The calls vlrerank makes for a client go with that client's credentials, and what it keeps from
 * them is kept per credentials (held-out probe round 9), on Elasticsearch 8.19 behind a relay that
 * writes down each request's headers:
 * - the record write-back of a reranked search (`features.write_back`) reads the mapping, re-reads
 *   the documents and writes their records with the searching client's `Authorization`,
 *   `es-secondary-authorization` and `es-security-runas-user` — they went with none (a secured
 *   cluster refused every write-back; one reached with the upstream URL's own credentials was
 *   written for clients allowed only to read);
 * - the `_resolve/index` answer kept for a search through an alias is kept per run-as user too: two
 *   users run by one service account see other aliases (one's answer was served to the other).
 * The engine here runs without security (it ignores the headers): what is checked is what reaches it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p9-wbcred-grocery';
const ALIAS = 'p9-alias-wbcred';
const N = 3;
const PIPELINE =
  readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
    .replace(/^name: grocery$/m, 'name: wbcred')
    .replace(/^index_patterns: .*$/m, 'index_patterns: [p9-wbcred-*]')
    .replace(/^budget_ms: \d+$/m, 'budget_ms: 300000') + '\nfeatures:\n  write_back: true\n';

let relay: CountingRelay;
let p: SearchProxy;
beforeAll(async () => {
  p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelinesDir({ 'wbcred.yaml': PIPELINE }), via: async (url) => (relay = await countingRelay(url)).url });
  await p.engine.json('DELETE', `/${INDEX}`);
  await setupIndex(p.engine, p.pipelines.get('wbcred')!, INDEX);
  await p.engine.json('POST', '/_aliases', { actions: [{ add: { index: INDEX, alias: ALIAS } }] });
  // straight to the engine: no records
  const nd = catalog.slice(10, 10 + N).flatMap((d, i) => [JSON.stringify({ index: { _id: `c${i}` } }), JSON.stringify(groceryDoc(d))]).join('\n') + '\n';
  expect((await p.engine.json<any>('POST', `/${INDEX}/_bulk?refresh=true`, nd, { 'content-type': 'application/x-ndjson' })).body.errors).toBe(false);
  await p.reranker.warm.wait();
}, 300_000);
afterAll(async () => {
  await p?.engine.json('DELETE', `/${INDEX}`);
  await p?.close();
  await relay?.close();
});

const client = (runAs: string) =>
  new Client({ node: p.url, auth: { username: 'svc', password: 'svc-pw' }, headers: { 'es-security-runas-user': runAs, 'es-secondary-authorization': 'ApiKey c2Vjb25kYXJ5' } });

it('the record write-back reads and writes with the searching client\'s credentials', { timeout: 600_000 }, async () => {
  const from = relay.heard.length;
  const r = await client('alice').search({ index: INDEX, size: N, query: { match_all: {} }, ext: { vlrerank: { query: 'fruit juice', window: N } } } as never);
  expect((r as any).hits.hits).toHaveLength(N);
  await p.srv.services.writeBack!.idle();
  const calls = relay.heard.slice(from).filter((c) => /\/(_mapping|_mget|_bulk)\b/.test(c.line));
  expect(calls.map((c) => c.line.split('?')[0])).toEqual([`GET /${INDEX}/_mapping`, `POST /${INDEX}/_mget`, `POST /${INDEX}/_bulk`]);
  for (const c of calls) {
    expect(c.headers.authorization, c.line).toBe(`Basic ${Buffer.from('svc:svc-pw').toString('base64')}`);
    expect(c.headers['es-security-runas-user'], c.line).toBe('alice');
    expect(c.headers['es-secondary-authorization'], c.line).toBe('ApiKey c2Vjb25kYXJ5');
  }
  const written = (await (await fetch(`${p.url}/_vlrerank/metrics`)).text()).match(/^vlrerank_record_write_back_total\{outcome="written"\} (\d+)/m);
  expect(Number(written?.[1])).toBe(N);
});

it('what an alias names is kept per run-as user: each user\'s search reads it with its own credentials', { timeout: 600_000 }, async () => {
  const resolves = () => relay.heard.filter((c) => c.line.startsWith(`GET /_resolve/index/${ALIAS}`));
  const body = { index: ALIAS, size: 1, query: { match_all: {} }, ext: { vlrerank: { query: 'fruit juice', window: N } } };
  await client('alice').search(body as never);
  await client('alice').search(body as never);
  expect(resolves().map((c) => c.headers['es-security-runas-user'])).toEqual(['alice']);
  await client('bob').search(body as never);
  expect(resolves().map((c) => c.headers['es-security-runas-user'])).toEqual(['alice', 'bob']);
});
