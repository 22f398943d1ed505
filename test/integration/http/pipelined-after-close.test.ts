/**
 * A pipelining client that sends on after a request saying `Connection: close` (held-out probe round
 * 24a). RFC 9112 §9.6: the server answers up to that request, processes nothing after it and closes.
 * Node's parser calls the bytes after it an error ("Data after `Connection: close`"), and vlrerank's
 * `clientError` answer — a bare 400 and the connection destroyed — cut the answers still due: the
 * requests before had run on the engine (a write among them stored) but their clients got only
 * `400 Bad Request`. Elasticsearch answers every one of them. Now the answers due go out and the
 * connection closes after the `close` one. Real sockets, a real server before Elasticsearch 8.19.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResponses, rawExchange } from '../../helpers/raw-http.js';
import { startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p24a-after-close';

describe('requests pipelined after a Connection: close one (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch');
    await p.engine.json('DELETE', `/${INDEX}`);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('get the answers due up to that one, then the connection closes', async () => {
    const doc = JSON.stringify({ title: 'written before the close' });
    const raw =
      `PUT /${INDEX}/_doc/1?refresh=true HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${doc.length}\r\n\r\n${doc}` +
      `GET /_cluster/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n` +
      `DELETE /${INDEX} HTTP/1.1\r\nHost: x\r\n\r\n`; // never to be processed
    const data = await rawExchange(p.url, raw);
    const [put, health] = parseResponses(data, ['PUT', 'GET']);
    expect([put!.status, health!.status]).toEqual([201, 200]);
    expect(JSON.parse(health!.body.toString())).toHaveProperty('cluster_name');
    expect(data.toString('latin1').match(/HTTP\/1\.1 /g)).toHaveLength(2);
    // the write was stored, and the request after the close was not run: the index is still there
    expect((await p.engine.json('GET', `/${INDEX}/_doc/1`)).statusCode).toBe(200);
  });
});
