/**
 * A client that hangs up before its answer is not a server fault (held-out probe round 4): a body
 * cut short ("aborted") was logged as "internal error" with its stack and counted in
 * `vlrerank_failures_total{code="VLR_INTERNAL"}` — an alert on internal errors fired for clients
 * leaving. Now noted at debug level and not counted; the server answers the next request. Real
 * sockets against a real server (Elasticsearch 8.19 behind it).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

/** Sends the head and part of a body that promises more, then closes the connection. */
function hangUp(url: string, path: string): Promise<void> {
  const { hostname, port } = new URL(url);
  const part = '{"query":"apple","documents":["a","b"';
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname, () => {
      s.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${part.length + 100}\r\n\r\n${part}`);
      setTimeout(() => s.destroy(), 50);
    });
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}

describe('clients that hang up mid-request', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch');
  });
  afterAll(async () => p?.close());

  it('are not counted as internal errors, and the server keeps answering', async () => {
    for (let i = 0; i < 4; i++) for (const path of ['/v1/rerank', '/_vlrerank/rerank', '/grocery-it/_search', '/grocery-it/_msearch']) await hangUp(p.url, path);
    // the cut bodies are noticed when their sockets close: give the server a turn to see them
    await new Promise((r) => setTimeout(r, 500));
    const metrics = await (await fetch(`${p.url}/_vlrerank/metrics`)).text();
    expect(metrics).not.toMatch(/vlrerank_failures_total\{code="VLR_INTERNAL"\}/);
    const r = await fetch(`${p.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'apple', documents: ['an apple', 'a car'] }) });
    expect(r.status).toBe(200);
  });
});
