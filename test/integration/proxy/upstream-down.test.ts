/**
 * When no upstream node accepts the connection, clients get an ES-shaped 502 at once — never a
 * hang, never a stack trace — and the official client sees a ResponseError it can read. Health
 * says red (503) with the node unreachable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, errors } from '@elastic/elasticsearch';
import { refusedUpstream } from '../../helpers/upstream-fakes.js';
import { startProxy } from '../../helpers/proxy.js';
import type { RunningServer } from '../../../src/server/start.js';

let server: RunningServer;
let dead: string;

beforeAll(async () => {
  dead = await refusedUpstream();
  server = await startProxy([dead]);
});
afterAll(async () => {
  await server?.close();
});

describe('upstream down', () => {
  it('answers 502 upstream_unreachable_exception in the ES error shape', async () => {
    for (const [method, path, body] of [
      ['GET', '/_cluster/health', undefined],
      ['POST', '/_bulk', '{"index":{"_index":"x"}}\n{"a":1}\n'],
      ['HEAD', '/some-index', undefined],
    ] as const) {
      const r = await fetch(server.url + path, { method, body, headers: body ? { 'content-type': 'application/x-ndjson' } : {}, signal: AbortSignal.timeout(10_000) });
      expect(r.status).toBe(502);
      if (method === 'HEAD') continue;
      expect(r.headers.get('content-type')).toMatch(/application\/json/);
      const json = (await r.json()) as { error: { type: string; reason: string }; status: number };
      expect(json).toMatchObject({ error: { type: 'upstream_unreachable_exception', vlrerank_code: 'VLR_UPSTREAM_UNREACHABLE' }, status: 502 });
      expect(json.error.reason).toContain(new URL(dead).host);
      expect(JSON.stringify(json)).not.toMatch(/\n\s+at /); // no stack
    }
  });

  it('gives the official client a ResponseError with status 502', async () => {
    const client = new Client({ node: server.url, maxRetries: 0 });
    try {
      await expect(client.search({ index: 'x' })).rejects.toSatisfy((e: unknown) => e instanceof errors.ResponseError && e.statusCode === 502);
    } finally {
      await client.close();
    }
  });

  it('reports red health with the node unreachable', async () => {
    const r = await fetch(`${server.url}/_vlrerank/health`);
    expect(r.status).toBe(503);
    const h = (await r.json()) as { status: string; upstream: { nodes: Array<{ reachable: boolean; error: string }> } };
    expect(h.status).toBe('red');
    expect(h.upstream.nodes).toEqual([expect.objectContaining({ reachable: false, error: 'ECONNREFUSED' })]);
  });
});
