/**
 * `GET /_vlrerank/health` (the full status, unauthenticated) probes the cluster, and concurrent
 * calls share one probe: each call probed every node afresh, so 50 status calls at once sent 50
 * `_cluster/health` to the engine (held-out probe round 9) — a dashboard, a monitor gone wrong or
 * anyone on the network multiplied onto the cluster. Real Elasticsearch 8.19 behind a relay that
 * counts what reaches it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

let relay: CountingRelay;
let p: SearchProxy;
beforeAll(async () => {
  p = await startSearchProxy('elasticsearch', { via: async (url) => (relay = await countingRelay(url)).url });
}, 300_000);
afterAll(async () => {
  await p?.close();
  await relay?.close();
});

it('50 concurrent status calls share the cluster probe; each still says green with the node reachable', { timeout: 120_000 }, async () => {
  const probes = () => relay.seen.filter((l) => l.startsWith('GET /_cluster/health')).length;
  const before = probes();
  const answers = await Promise.all(Array.from({ length: 50 }, async () => (await fetch(`${p.url}/_vlrerank/health`)).json() as Promise<any>));
  for (const a of answers) {
    expect(a.status).toBe('green');
    expect(a.upstream.nodes[0].reachable).toBe(true);
  }
  expect(probes() - before).toBeLessThanOrEqual(2);
});
