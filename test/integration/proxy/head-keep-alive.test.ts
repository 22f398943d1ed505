/**
 * HEAD through the proxy answers like the engine (status, Content-Length of the GET body, no body
 * bytes), and a kept-alive connection carries pipelined requests after it: were a body sent after
 * the HEAD answer, the next response on the connection would not parse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { startProxy } from '../../helpers/proxy.js';
import { header, parseResponses, rawExchange } from '../../helpers/raw-http.js';
import type { RunningServer } from '../../../src/server/start.js';

const INDEX = 'vlr-it-head';
let es: string;
let server: RunningServer;

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  server = await startProxy([es]);
  await fetch(`${es}/${INDEX}`, { method: 'DELETE' });
  await fetch(`${es}/${INDEX}/_doc/1?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"title":"head test"}' });
});
afterAll(async () => {
  await fetch(`${es}/${INDEX}`, { method: 'DELETE' });
  await server?.close();
});

const pipelined = [
  `HEAD /${INDEX} HTTP/1.1\r\nHost: x\r\n\r\n`,
  `HEAD /${INDEX}/_doc/1 HTTP/1.1\r\nHost: x\r\n\r\n`,
  `HEAD /vlr-it-head-missing HTTP/1.1\r\nHost: x\r\n\r\n`,
  `GET /${INDEX}/_doc/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
].join('');
const methods = ['HEAD', 'HEAD', 'HEAD', 'GET'];

describe('HEAD and keep-alive', () => {
  it('answers HEAD like the engine, without a body, on a kept-alive connection', async () => {
    const direct = parseResponses(await rawExchange(es, pipelined), methods);
    const proxied = parseResponses(await rawExchange(server.url, pipelined), methods);
    expect(proxied.map((r) => r.status)).toEqual([200, 200, 404, 200]);
    expect(proxied.map((r) => r.status)).toEqual(direct.map((r) => r.status));
    for (let i = 0; i < 3; i++) {
      expect(header(proxied[i]!, 'content-length')).toBe(header(direct[i]!, 'content-length'));
      expect(proxied[i]!.body.length).toBe(0);
    }
    expect(Number(header(proxied[1]!, 'content-length'))).toBeGreaterThan(0);
    expect(proxied[3]!.body.toString()).toBe(direct[3]!.body.toString());
    expect(JSON.parse(proxied[3]!.body.toString())).toMatchObject({ _id: '1', found: true });
  });
});
