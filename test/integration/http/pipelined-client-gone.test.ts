/**
 * A client that pipelines requests and leaves before their answers (held-out probe round 24a: a phone
 * losing its network, a balancer cutting an idle-looking connection). Node never emits `close` on a
 * response still queued behind an earlier one of its connection when that connection closes — and
 * vlrerank's whole notion of "the client left" was that `close`: each such request stayed in
 * `vlrerank_requests_in_flight` for good, wrote no access line, its rerank ran on for nobody, and a
 * passthrough answer larger than the response's buffer (16 KB) held its upstream connection forever,
 * waiting for a `drain` that never came (64 of them and the passthrough pool to a node is gone).
 * Real sockets against a real server before Elasticsearch 8.19 and OpenSearch 2.19.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, pipelinesDir, startSearchProxy, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';
import { until } from '../../helpers/until.js';

const INDEX = 'p24a-pipelined-gone';
const pad = 'lorem ipsum dolor sit amet '.repeat(800); // ~21 KB a document: a page of 10 is ~210 KB

const req = (method: string, path: string, body = '') =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\n${body ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`;

/** Writes `raw` (several requests) on one connection, reads nothing, and closes it after `ms`. */
function pipelineAndLeave(url: string, raw: string, ms: number): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname, () => {
      s.write(raw);
      setTimeout(() => s.destroy(), ms);
    });
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}

/** The in-flight gauges (all routes but `admin`, which the metrics request itself is) and the pools' running requests. */
async function busy(url: string): Promise<{ inFlight: number; running: number; text: string }> {
  const text = await (await fetch(`${url}/_vlrerank/metrics`)).text();
  let inFlight = 0;
  let running = 0;
  for (const line of text.split('\n')) {
    const g = /^vlrerank_requests_in_flight\{route="([^"]+)"\} (\S+)$/.exec(line);
    if (g && g[1] !== 'admin') inFlight += Number(g[2]);
    const p = /^vlrerank_upstream_pool\{[^}]*what="running"[^}]*\} (\S+)$/.exec(line);
    if (p) running += Number(p[1]);
  }
  return { inFlight, running, text: text.split('\n').filter((l) => /^vlrerank_(requests_in_flight|upstream_pool)/.test(l)).join('\n') };
}

describe.each(ENGINES)('pipelined requests of a client that left (%s)', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'p24a.yaml': textPipeline('p24a-gone', 'p24a-*') }) });
    await p.engine.json('DELETE', `/${INDEX}`);
    const nd = Array.from({ length: 20 }, (_, i) => `{"index":{"_index":"${INDEX}","_id":"${i}"}}\n${JSON.stringify({ title: `apple ${i}`, text: `sweet fruit ${pad}` })}\n`).join('');
    const r = await p.engine.json<{ errors?: boolean }>('POST', '/_bulk?refresh=true', nd, { 'content-type': 'application/x-ndjson' });
    expect(r.body.errors).toBe(false);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('are closed with their connection: gauges back to 0, no upstream connection held', async () => {
    const big = JSON.stringify({ size: 10, query: { match: { title: 'apple' } } });
    const reranked = JSON.stringify({ size: 3, query: { match: { title: 'apple' } }, ext: { vlrerank: { query: { text: 'sweet apple' } } } });
    // the first answer takes a second (the engine waits for nodes that never come), so everything
    // after it is still queued behind it when the client leaves
    const raw =
      req('GET', '/_cluster/health?wait_for_nodes=9&timeout=2s') +
      req('POST', `/${INDEX}/_search`, big) +
      req('POST', `/${INDEX}/_search`, big) +
      req('GET', `/${INDEX}/_search?size=10`) +
      req('POST', `/${INDEX}/_search`, reranked) +
      req('GET', `/${INDEX}/_count`);
    for (let i = 0; i < 3; i++) await pipelineAndLeave(p.url, raw, 400);
    let last = await busy(p.url);
    await until(async () => ((last = await busy(p.url)), last.inFlight === 0 && last.running === 0), { tries: 100, everyMs: 200, what: 'nothing in flight' }).catch(() => undefined);
    expect(last.text).not.toMatch(/requests_in_flight\{route="(?!admin)[^"]+"\} [1-9]/);
    expect(last.running).toBe(0);
    // the server still answers on a fresh connection
    const r = await fetch(`${p.url}/${INDEX}/_count`);
    expect(r.status).toBe(200);
  });
});
