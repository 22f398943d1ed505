/**
 * With two upstream nodes of which one refuses connections, every request still succeeds: the
 * refused connection never reached a server, so even a non-idempotent _bulk is resent once on the
 * live node. Health says yellow, naming the dead node; metrics count the failures and the
 * upstream latency of the live node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { refusedUpstream } from '../../helpers/upstream-fakes.js';
import { startProxy } from '../../helpers/proxy.js';
import type { RunningServer } from '../../../src/server/start.js';

const INDEX = 'vlr-it-one-down';
let es: string;
let dead: string;
let server: RunningServer;

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  dead = await refusedUpstream();
  server = await startProxy([dead, es]);
  await fetch(`${es}/${INDEX}`, { method: 'DELETE' });
});
afterAll(async () => {
  await fetch(`${es}/${INDEX}`, { method: 'DELETE' });
  await server?.close();
});

describe('one of two upstream nodes down', () => {
  it('serves every request from the live node, _bulk included', async () => {
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${server.url}/_cluster/health`);
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    }
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${server.url}/_bulk?refresh=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: `{"index":{"_index":"${INDEX}","_id":"${i}"}}\n{"n":${i}}\n`,
      });
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ errors: false });
    }
    const c = (await (await fetch(`${es}/${INDEX}/_count`)).json()) as { count: number };
    expect(c.count).toBe(4); // each _bulk applied exactly once
  });

  it('reports yellow health naming the dead node', async () => {
    const r = await fetch(`${server.url}/_vlrerank/health`);
    expect(r.status).toBe(200);
    const h = (await r.json()) as { status: string; upstream: { nodes: Array<{ node: string; reachable: boolean }>; engine: { distribution: string } } };
    expect(h.status).toBe('yellow');
    expect(h.upstream.nodes).toEqual([expect.objectContaining({ node: dead, reachable: false }), expect.objectContaining({ node: es, reachable: true })]);
    expect(h.upstream.engine).toMatchObject({ distribution: 'elasticsearch', version: '8.19.21' });
  });

  it('exposes request, upstream latency and failure metrics', async () => {
    const text = await (await fetch(`${server.url}/_vlrerank/metrics`)).text();
    expect(text).toMatch(new RegExp(`vlrerank_upstream_latency_seconds_count\\{node="${es.replace(/[/.]/g, '\\$&')}"\\} [1-9]`));
    expect(text).toMatch(/vlrerank_upstream_errors_total\{code="ECONNREFUSED"\} [1-9]/);
    expect(text).toMatch(/vlrerank_requests_total\{route="bulk",status="200"\} 4/);
    expect(text).toMatch(/vlrerank_requests_in_flight\{route="admin"\} 1/);
  });
});
