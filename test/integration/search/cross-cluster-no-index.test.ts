/**
 * An expression over clusters that names no index at that moment, with a rerank asked (fix21a;
 * held-out probe round 20a left it): the remote cluster down (`*:ccs-*`, `other:*`, with
 * `skip_unavailable` true and false), an unknown cluster alias (`nosuch:ccs-kb`), `other:` — the
 * engine's `_resolve/index` lists none of its indices, and vlrerank answered its own 400 "no vlrerank
 * pipeline covers" where the engine answers the same search without the rerank 200 with the remote
 * `skipped` (or its own error). Now the engine's answer comes through: status, `_clusters` and
 * hits (none) as direct; and once the remote is back the next search is reranked again (the empty
 * answer was not kept). Two Elasticsearch 8.19 clusters of the test's own, the second the first's
 * remote `other`, as in cross-cluster-search.test.ts.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import type { OwnEngine } from '../../helpers/own-engine.js';
import { call, twoClusters, vlrerankBefore } from '../../helpers/two-clusters.js';
import { until } from '../../helpers/until.js';

const INDEX = 'ccs-kb';
const PIPELINE = `name: ccs
index_patterns: [ccs-*, "other:ccs-*"]
fields: { text: [title] }
first_stage: { text_query: bm25, match_fields: [title] }
failure: fail_open
budget_ms: 60000
`;
let local: OwnEngine;
let remote: OwnEngine;
let srv: RunningServer;

const skipUnavailable = async (v: boolean) => expect((await call(local.url, 'PUT', '/_cluster/settings', { persistent: { 'cluster.remote.other.skip_unavailable': v } })).status).toBe(200);
const without = (b: any) => JSON.parse(JSON.stringify(b, (k, v) => (k === 'took' ? undefined : v)));
const asked = { size: 5, query: { match: { title: 'oat milk' } } };
const reranked = { size: 5, ext: { vlrerank: { query: { text: 'oat milk' } } } };

beforeAll(async () => {
  ({ local, remote } = await twoClusters('f21a-ccs', INDEX));
  srv = await vlrerankBefore(local, { 'ccs.yaml': PIPELINE });
}, 600_000);

afterAll(async () => {
  await srv?.close();
  await Promise.all([local?.close(), remote?.close()]);
});

it('names no index with a rerank asked: the engine\'s answer as without the rerank (remote down, unknown cluster, `other:`); reranked again once the remote is back', { timeout: 600_000 }, async () => {
  // up: reranked
  const up = await call(srv.url, 'POST', '/*:ccs-*/_search', reranked);
  expect(up.status, up.text).toBe(200);
  expect(up.body.vlrerank?.pipeline).toBe('ccs');
  remote.signal('SIGKILL');
  await remote.exited();
  await until(async () => (await call(local.url, 'GET', '/*:ccs-*/_search?size=0')).body?._clusters?.skipped === 1, { tries: 120, everyMs: 500, what: 'the remote seen down' });
  const cases = ['*:ccs-*', 'other:*', 'other:ccs-*', 'nosuch:ccs-kb', 'other:'];
  for (const skip of [true, false]) {
    await skipUnavailable(skip);
    for (const expr of cases) {
      const direct = await call(local.url, 'POST', `/${expr}/_search`, asked);
      const got = await call(srv.url, 'POST', `/${expr}/_search`, { ...reranked, query: asked.query });
      expect(got.status, `${expr} skip_unavailable ${skip}: ${got.text} — direct ${direct.text}`).toBe(direct.status);
      if (direct.status === 200) {
        expect(without(got.body)._clusters, expr).toEqual(without(direct.body)._clusters);
        expect(got.body.hits.hits, expr).toEqual(direct.body.hits.hits);
      } else expect(got.body.error?.type, expr).toBe(direct.body.error?.type);
    }
  }
  await skipUnavailable(true);
  // back: the next search over clusters is reranked again at once (nothing empty was kept)
  await remote.start();
  await until(async () => (await call(local.url, 'GET', `/other:${INDEX}/_search?size=0`)).body?._clusters?.successful === 1, { tries: 240, everyMs: 500, what: 'the remote back' });
  const back = await call(srv.url, 'POST', '/*:ccs-*/_search', reranked);
  expect(back.status, back.text).toBe(200);
  expect(back.body.vlrerank?.pipeline).toBe('ccs');
  expect(back.body.hits.hits.length).toBeGreaterThan(0);
});
