/**
 * Cross-cluster search through vlrerank (held-out probe round 20a): two Elasticsearch 8.19 nodes of
 * the test's own, each its own cluster, the second the first's remote `other`
 * (`cluster.remote.other.seeds`), the same product titles on each; vlrerank in front of the first,
 * with a pipeline whose patterns name the local indices and the remote's (`other:ccs-*`), keeping
 * feature records in the index and writing them back. Each answer is compared with the first
 * cluster answering directly.
 *
 * - A wildcard over clusters (`*:ccs-*`, `ccs-*,*:ccs-*`) names only indices the pipeline covers, as
 *   the engine's `_resolve/index` says (`other:ccs-kb`): it was refused "no vlrerank pipeline covers"
 *   (remote names were never resolved), where `other:ccs-kb` itself was reranked.
 * - A remote hit scored without a record is not written back: the record write-back read
 *   `other:ccs-kb/_mapping` through the local cluster (refused: "Cross-cluster calls are not
 *   supported in this context"), counted `failed` and logged a warning at every such search.
 * - A write naming the remote index gets the engine's own refusal (no cluster writes through
 *   another), as sent: it was given vectors, two refused `_mapping` reads and a `vlrerank.error`
 *   telling the client to backfill.
 * - An index of another pipeline created on the remote while what `*:ccs-*` names is kept: its hits
 *   make the search ask again (as an alias moved does), and the answer names both pipelines — its
 *   hits were reranked by the kept pipeline until the answer expired (remote hits were never checked).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import type { OwnEngine } from '../../helpers/own-engine.js';
import { TITLES } from '../../helpers/own-engine-proxy.js';
import { call, twoClusters, vlrerankBefore } from '../../helpers/two-clusters.js';

const INDEX = 'ccs-kb';
// a more specific remote pattern of another pipeline: an index `ccs-b…` on the remote is its
const OTHER = `name: ccsb
index_patterns: ["other:ccs-b*"]
fields: { text: [title] }
failure: fail_open
`;
const PIPELINE = `name: ccs
index_patterns: [ccs-*, "other:ccs-*"]
fields: { text: [title] }
first_stage: { text_query: bm25, match_fields: [title] }
window: { default: 20, max: 50 }
failure: fail_open
budget_ms: 60000
features: { store: index, write_back: true }
`;
let local: OwnEngine;
let remote: OwnEngine;
let srv: RunningServer;

const writeBacks = async (): Promise<Record<string, number>> => {
  const text = await (await fetch(`${srv.url}/_vlrerank/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^vlrerank_record_write_back_total\{outcome="(\w+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
};
const idsOf = (b: any): string[] => b.hits.hits.map((h: { _index: string; _id: string }) => `${h._index}/${h._id}`).sort();
const clustersOf = (b: any) => JSON.parse(JSON.stringify(b._clusters, (k, v) => (k === 'took' ? undefined : v)));

beforeAll(async () => {
  ({ local, remote } = await twoClusters('ccs', INDEX)); // the remote's titles written directly: no records
  srv = await vlrerankBefore(local, { 'ccs.yaml': PIPELINE, 'ccsb.yaml': OTHER });
}, 600_000);

afterAll(async () => {
  await srv?.close();
  await Promise.all([local?.close(), remote?.close()]);
});

describe('cross-cluster search through vlrerank', () => {
  it('reranks a wildcard over clusters by the pipeline covering every index it names, hits and `_clusters` as the engine answers', { timeout: 180_000 }, async () => {
    for (const expr of [`*:${INDEX}`, `*:ccs-*`, `ccs-*,*:ccs-*`, `other:ccs-*`, `${INDEX},other:${INDEX}`]) {
      const direct = await call(local.url, 'POST', `/${expr}/_search`, { size: 20, query: { match: { title: 'oat milk' } } });
      const got = await call(srv.url, 'POST', `/${expr}/_search`, { size: 20, ext: { vlrerank: { query: { text: 'oat milk' } } } });
      expect(got.status, `${expr}: ${got.text}`).toBe(200);
      expect(got.body.vlrerank.pipeline).toBe('ccs');
      expect(got.body.vlrerank.degraded).toBe(false);
      expect(idsOf(got.body)).toEqual(idsOf(direct.body));
      expect(idsOf(got.body).some((id) => id.startsWith(`other:${INDEX}/`))).toBe(true);
      expect(clustersOf(got.body)).toEqual(clustersOf(direct.body));
    }
  });

  it("never writes a remote hit's record back through the local cluster", { timeout: 180_000 }, async () => {
    const before = await call(remote.url, 'GET', `/${INDEX}/_doc/101`);
    const got = await call(srv.url, 'POST', `/other:${INDEX}/_search`, { size: 5, ext: { vlrerank: { query: { text: 'oat milk' } } } });
    expect(got.status).toBe(200);
    expect(got.body.hits.hits.length).toBeGreaterThan(0);
    await srv.services.writeBack!.idle();
    const outcomes = await writeBacks();
    expect(outcomes.failed ?? 0).toBe(0);
    expect(outcomes.written ?? 0).toBe(0);
    const after = await call(remote.url, 'GET', `/${INDEX}/_doc/101`);
    expect(after.body._seq_no).toBe(before.body._seq_no);
  });

  it("answers a write naming the remote cluster's index with the engine's own refusal, as sent", { timeout: 120_000 }, async () => {
    const bulk = `${JSON.stringify({ index: { _index: `other:${INDEX}`, _id: 'w1' } })}\n${JSON.stringify({ title: 'oat milk' })}\n`;
    for (const [method, path, body, ndjson] of [
      ['PUT', `/other:${INDEX}/_doc/w1`, { title: 'oat milk' }, false],
      ['POST', `/other:${INDEX}/_update/101`, { doc: { title: 'oat milk' } }, false],
      ['POST', '/_bulk', bulk, true],
    ] as const) {
      const direct = await call(local.url, method, path, body, ndjson);
      const got = await call(srv.url, method, path, body, ndjson);
      expect(got.status, path).toBe(direct.status);
      const { took: _a, ...d } = direct.body;
      const { took: _b, ...g } = got.body;
      expect(g, path).toEqual(d);
    }
    expect((await call(remote.url, 'GET', `/${INDEX}/_count`)).body.count).toBe(TITLES.length);
  });

  it("asks again when a wildcard over clusters gets hits of another pipeline's remote index, created after the engine's answer was kept", { timeout: 120_000 }, async () => {
    const ask = { size: 20, ext: { vlrerank: { query: { text: 'oat milk' } } } };
    const kept = await call(srv.url, 'POST', '/*:ccs-*/_search', ask);
    expect(kept.status).toBe(200);
    expect(kept.body.vlrerank.pipeline).toBe('ccs');
    expect((await call(remote.url, 'PUT', '/ccs-b1/_doc/1?refresh=true', { title: 'oat milk' })).status).toBe(201);
    const got = await call(srv.url, 'POST', '/*:ccs-*/_search', ask);
    expect(got.status, got.text).toBe(400);
    expect(got.body.error.reason).toContain('other:ccs-b1 → ccsb');
    expect(got.body.error.reason).toContain(`other:${INDEX} → ccs`);
  });
});
