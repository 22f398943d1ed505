/**
 * A request that asks the engine to wait (`_cluster/health?wait_for_nodes=…&timeout=3s`, as
 * deployment scripts and the clients' `cluster.health()` wait for a cluster) gets the engine's own
 * answer after that wait — its 408 with `timed_out: true` — when the wait is longer than
 * `upstream.headersTimeoutMs`, and the node is not marked down for waiting as asked. Held-out probe
 * round 17a: cut at the headers time-out with vlrerank's 504 (and, once a node that sends no
 * headers in time is marked down, the node skipped). Real Elasticsearch 8.19 (one node: it never
 * has five).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { startProxy } from '../../helpers/proxy.js';
import type { RunningServer } from '../../../src/server/start.js';

let es: string;
let server: RunningServer;
beforeAll(async () => {
  es = await useEngine('elasticsearch');
  server = await startProxy([es], { upstream: { headersTimeoutMs: 1000 } });
});
afterAll(async () => {
  await server?.close();
});

describe('a wait the request asks of the engine', () => {
  it("is waited for past the headers time-out: the engine's 408, and the node still up", { timeout: 60_000 }, async () => {
    const path = '/_cluster/health?wait_for_nodes=5&timeout=3s&filter_path=timed_out,number_of_nodes';
    const direct = await fetch(`${es}${path}`);
    const through = await fetch(`${server.url}${path}`);
    expect(direct.status).toBe(408);
    expect(through.status).toBe(direct.status);
    expect(await through.json()).toEqual(await direct.json());
    const h = (await (await fetch(`${server.url}/_vlrerank/health`)).json()) as { status: string };
    expect(h.status).toBe('green');
  });
});
