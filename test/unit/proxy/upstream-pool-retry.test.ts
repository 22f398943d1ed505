/**
 * UpstreamPool spreads requests round-robin and retries a connection failure on each other node
 * in turn — any request when the connection was refused (nothing was sent, a streamed body
 * included), only idempotent ones when the connection broke after the request went out.
 *
 * A cluster losing nodes (held-out probe round 17a, a 3-node Elasticsearch 8.19 cluster): a request
 * meets every node that refuses connections before one that answers, and a frozen node (SIGSTOP: it
 * accepts connections, never answers) is skipped after its first headers time-out instead of taking
 * its round-robin share of every request. Faults played by fakes named after them; the probe ran
 * them against real nodes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineClient } from '../../../src/engine/client.js';
import { UpstreamPool } from '../../../src/proxy/pool.js';
import { upstreamSchema } from '../../../src/config/schema.js';
import { VlrerankError } from '../../../src/errors.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { bulkSink, headerEchoUpstream, neverAnsweringUpstream, refusedUpstream, resetAfterRequestUpstream, stalledOnOnePathUpstream, type Fake } from '../../helpers/upstream-fakes.js';

const open: Array<Fake | UpstreamPool> = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});

function pool(urls: string[], more: Record<string, unknown> = {}): UpstreamPool {
  const p = new UpstreamPool(upstreamSchema.parse({ urls, connectTimeoutMs: 2000, headersTimeoutMs: 5000, ...more }));
  open.push(p);
  return p;
}

describe('UpstreamPool', () => {
  it("keeps passthrough off vlrerank's own connections: a forwarded request is answered while every own connection waits on the node", async () => {
    const up = await stalledOnOnePathUpstream();
    open.push(up);
    const p = pool([up.url], { connectionsPerNode: 1 });
    const stuck = new AbortController();
    // vlrerank's own request (a first stage) holds the node's only own connection, and one more waits for it
    const own = [p.request({ method: 'POST', path: '/stalled/_search', signal: stuck.signal }), p.request({ method: 'POST', path: '/next/_search', signal: stuck.signal })];
    for (const o of own) o.catch(() => undefined);
    while (up.hits < 1) await new Promise((r) => setTimeout(r, 10)); // the stalled one reached the node
    // the proxy's side: a forward into a real response, as the passthrough route does
    const front = createServer((req, res) => void p.forward({ method: 'POST', path: '/idx/_search', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') }, res));
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      const r = await fetch(`http://127.0.0.1:${(front.address() as AddressInfo).port}/idx/_search`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5000) });
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('{}');
    } finally {
      front.closeAllConnections();
      front.close();
    }
    expect(up.hits).toBe(2); // the stalled own request and the forwarded one: the second own request still waits its turn
    stuck.abort();
  });

  it("does not count the caller's own abort (a client that hung up mid-search) as an upstream error", async () => {
    const up = await stalledOnOnePathUpstream();
    open.push(up);
    const metrics = createMetrics({ defaults: false });
    const p = new UpstreamPool(upstreamSchema.parse({ urls: [up.url], connectTimeoutMs: 2000, headersTimeoutMs: 5000 }), { metrics });
    open.push(p);
    const gone = new AbortController();
    const pending = p.request({ method: 'POST', path: '/stalled/_search', signal: gone.signal });
    pending.catch(() => undefined);
    while (up.hits < 1) await new Promise((r) => setTimeout(r, 10)); // the first stage reached the node
    gone.abort();
    await expect(pending).rejects.toBeDefined();
    expect(await metrics.registry.metrics()).not.toMatch(/vlrerank_upstream_errors_total\{code=/);
    // a real failure still counts: a node that refuses connections
    const refused = await refusedUpstream();
    const q = new UpstreamPool(upstreamSchema.parse({ urls: [refused], connectTimeoutMs: 2000, headersTimeoutMs: 5000 }), { metrics });
    open.push(q);
    await expect(q.request({ method: 'GET', path: '/' })).rejects.toBeDefined();
    expect(await metrics.registry.metrics()).toMatch(/vlrerank_upstream_errors_total\{code="ECONNREFUSED"\} 1/);
  });

  it('spreads requests round-robin over the nodes', async () => {
    const a = await headerEchoUpstream();
    const b = await headerEchoUpstream();
    open.push(a, b);
    const p = pool([a.url, b.url]);
    const nodes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await p.request({ method: 'GET', path: '/_cluster/health' });
      await r.body.dump();
      nodes.push(r.node);
    }
    expect(a.hits).toBe(3);
    expect(b.hits).toBe(3);
    expect(nodes.slice(0, 2)).toEqual(nodes.slice(2, 4));
    expect(new Set(nodes.slice(0, 2)).size).toBe(2);
  });

  it('retries a refused connection on the other node, a streamed non-idempotent body intact', async () => {
    const dead = await refusedUpstream();
    const sink = await bulkSink();
    open.push(sink);
    const p = pool([dead, sink.url]);
    const payload = Buffer.from('{"index":{"_index":"x"}}\n{"a":1}\n'.repeat(5000));
    const r = await p.request({ method: 'POST', path: '/_bulk', headers: { 'content-type': 'application/x-ndjson' }, body: Readable.from([payload.subarray(0, 70_000), payload.subarray(70_000)]) });
    expect(r.statusCode).toBe(200);
    await r.body.dump();
    expect(sink.last.bytes).toBe(payload.length);
    expect(sink.last.sha256).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('retries an idempotent request whose connection broke after sending', async () => {
    const resetting = await resetAfterRequestUpstream();
    const sink = await bulkSink();
    open.push(resetting, sink);
    const p = pool([resetting.url, sink.url]);
    const r = await new EngineClient(p).json('GET', '/idx/_search', undefined, undefined, {});
    expect(r.statusCode).toBe(200);
    expect(resetting.hits + sink.hits).toBe(2);
  });

  it('does not resend a non-idempotent request whose connection broke after sending', async () => {
    const resetting = await resetAfterRequestUpstream();
    const sink = await bulkSink();
    open.push(resetting, sink);
    const p = pool([resetting.url, sink.url]);
    const err = await new EngineClient(p).json('POST', '/_bulk', '{"index":{"_index":"x"}}\n{"a":1}\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VlrerankError);
    expect((err as VlrerankError).code).toBe('VLR_UPSTREAM_UNREACHABLE');
    expect((err as VlrerankError).status).toBe(502);
    expect(resetting.hits).toBe(1);
    expect(sink.hits).toBe(0);
  });

  it('sends credentials from the node URL and keeps its path prefix', async () => {
    const echo = await headerEchoUpstream();
    open.push(echo);
    const u = new URL(echo.url);
    const p = pool([`http://elastic:s%40cret@${u.host}/es/`]);
    const r = await new EngineClient(p).json<{ url: string; rawHeaders: string[] }>('GET', '/_cat/indices?v');
    expect(r.body.url).toBe('/es/_cat/indices?v');
    expect(r.body.rawHeaders).toContain(`Basic ${Buffer.from('elastic:s@cret').toString('base64')}`);
    expect(p.urls).toEqual([`http://${u.host}/es`]); // credentials never shown
  });

  it('lets a client Authorization header win over URL credentials', async () => {
    const echo = await headerEchoUpstream();
    open.push(echo);
    const p = pool([`http://elastic:x@${new URL(echo.url).host}`]);
    const r = await new EngineClient(p).json<{ rawHeaders: string[] }>('GET', '/', undefined, { authorization: 'ApiKey abc' });
    expect(r.body.rawHeaders.filter((h) => /^(Basic|ApiKey) /.test(h))).toEqual(['ApiKey abc']);
  });
});

describe('a cluster losing nodes', () => {
  it('tries every other node when two of three refuse connections (one killed, one restarting)', async () => {
    const live = await headerEchoUpstream();
    open.push(live);
    const p = pool([await refusedUpstream(), await refusedUpstream(), live.url]);
    // each round-robin start: the live node first, after one refusal, and after two
    for (let i = 0; i < 6; i++) {
      const r = await new EngineClient(p).json('PUT', `/p17a-${i}`, { settings: {} });
      expect(r.statusCode).toBe(200);
    }
    expect(live.hits).toBe(6);
  });

  it('gives up, naming the last node, once every node refused', async () => {
    const p = pool([await refusedUpstream(), await refusedUpstream(), await refusedUpstream()]);
    const err = await p.request({ method: 'GET', path: '/_cluster/health' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VlrerankError);
    expect((err as VlrerankError).code).toBe('VLR_UPSTREAM_UNREACHABLE');
  });

  it('skips a frozen node after its first headers time-out, and does not resend the request it held', async () => {
    const frozen = await neverAnsweringUpstream();
    const live = await headerEchoUpstream();
    open.push(frozen, live);
    const p = pool([frozen.url, live.url], { headersTimeoutMs: 300 });
    const statuses: Array<number | string> = [];
    // (the node is skipped for its first back-off, 500 ms: these searches to a loopback node take a few)
    for (let i = 0; i < 4; i++) {
      const r = await p.request({ method: 'POST', path: '/idx/_search', body: '{}' }).then(
        async (res) => (await res.body.dump(), res.statusCode),
        (e: unknown) => (e as VlrerankError).code,
      );
      statuses.push(r);
    }
    // the first search met the frozen node: its 504 (not resent: it may be running there); the
    // rest went to the live node — before, every other search waited the time-out and failed
    expect(statuses).toEqual(['VLR_UPSTREAM_TIMEOUT', 200, 200, 200]);
    expect(frozen.hits).toBe(1);
    expect(live.hits).toBe(3);
  });
});
