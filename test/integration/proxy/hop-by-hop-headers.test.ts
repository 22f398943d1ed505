/**
 * Hop-by-hop headers are removed in both directions (RFC 9110 §7.6.1): Connection and every header
 * it names, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade. Everything else passes
 * in order and case, repeated headers included: Authorization, API keys, x-elastic-product,
 * Set-Cookie. The upstream here echoes what reached it (no engine echoes request headers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerEchoUpstream, type Fake } from '../../helpers/upstream-fakes.js';
import { startProxy } from '../../helpers/proxy.js';
import { header, parseResponses, rawExchange } from '../../helpers/raw-http.js';
import type { RunningServer } from '../../../src/server/start.js';

let upstream: Fake;
let server: RunningServer;

beforeAll(async () => {
  upstream = await headerEchoUpstream();
  server = await startProxy([upstream.url]);
});
afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

describe('hop-by-hop headers', () => {
  it('are removed from the request, everything else reaches the upstream unchanged', async () => {
    const body = '{"query":{"match_all":{}}}';
    const req = [
      'POST /idx/_search?q=1&pretty HTTP/1.1',
      'Host: client.example:9200',
      'Connection: close, X-Drop-Me',
      'X-Drop-Me: secret',
      'Keep-Alive: timeout=5',
      'TE: trailers',
      'Proxy-Authorization: Basic cHJveHk6cHJveHk=',
      'Proxy-Connection: keep-alive',
      'Upgrade: websocket',
      'Authorization: ApiKey c2VjcmV0OmtleQ==',
      'X-Api-Key: abc123',
      'X-Opaque-Id: trace-7',
      'X-Repeated: one',
      'X-Repeated: two',
      'Content-Type: application/json',
      `Content-Length: ${body.length}`,
      '',
      body,
    ].join('\r\n');
    const [res] = parseResponses(await rawExchange(server.url, req), ['POST']);
    expect(res!.status).toBe(200);
    const echo = JSON.parse(res!.body.toString()) as { method: string; url: string; rawHeaders: string[] };
    expect(echo.method).toBe('POST');
    expect(echo.url).toBe('/idx/_search?q=1&pretty');
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i < echo.rawHeaders.length; i += 2) pairs.push([echo.rawHeaders[i]!, echo.rawHeaders[i + 1]!]);
    const names = pairs.map(([k]) => k.toLowerCase());
    for (const hop of ['x-drop-me', 'keep-alive', 'te', 'proxy-authorization', 'proxy-connection', 'upgrade', 'transfer-encoding']) expect(names).not.toContain(hop);
    // the upstream's connection header is undici's own, not the client's
    expect(pairs.find(([k]) => k.toLowerCase() === 'connection')?.[1]).not.toMatch(/x-drop-me|close/i);
    expect(pairs).toEqual(
      expect.arrayContaining([
        ['Authorization', 'ApiKey c2VjcmV0OmtleQ=='],
        ['X-Api-Key', 'abc123'],
        ['X-Opaque-Id', 'trace-7'],
        ['X-Repeated', 'one'],
        ['X-Repeated', 'two'],
        ['Content-Type', 'application/json'],
      ]),
    );
    // the upstream sees its own host, not the client's
    expect(pairs.find(([k]) => k.toLowerCase() === 'host')?.[1]).toBe(new URL(upstream.url).host);
  });

  it('are removed from the response, everything else reaches the client unchanged', async () => {
    const [res] = parseResponses(await rawExchange(server.url, 'GET /_cluster/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), ['GET']);
    expect(res!.status).toBe(200);
    const names = res!.headers.map(([k]) => k.toLowerCase());
    for (const hop of ['x-hop-secret', 'proxy-authenticate', 'upgrade', 'trailer']) expect(names).not.toContain(hop);
    // connection / keep-alive on the wire are the proxy's own for this client connection
    expect(header(res!, 'connection')).toBe('close');
    expect(names).not.toContain('keep-alive');
    expect(res!.headers).toEqual(
      expect.arrayContaining([
        ['X-Elastic-Product', 'Elasticsearch'],
        ['X-End-To-End', 'kept'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ]),
    );
    expect(names).not.toContain('date'); // no header of the proxy's own invention
  });
});
