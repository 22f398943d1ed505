/**
 * What CDNs and object stores answer, told to the client in words it can act on (held-out probe
 * round 14d), against real servers of the test's own on loopback:
 * - 429/503 with Retry-After: the document's error says when to come back (it said only "HTTP 429");
 * - a body cut short of its Content-Length (an edge reset): "closed before the whole answer arrived"
 *   (it said only "UND_ERR_SOCKET");
 * - HTTPS with a certificate from a private CA (an in-house MinIO): the error names
 *   NODE_EXTRA_CA_CERTS (it said only "UNABLE_TO_VERIFY_LEAF_SIGNATURE").
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaSource } from '../../../src/features/media/source.js';
import { rejection } from '../../helpers/errors.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';
import { privateCaCert } from '../../helpers/private-ca.js';

const BODY = Buffer.alloc(5000, 7);
let plain: Server;
let tls: Server;
let plainUrl: string;
let tlsUrl: string;
const src = new MediaSource({ roots: [], allowHosts: ['127.0.0.1'], maxBytes: 1 << 20, fetchTimeoutMs: 5_000, maxRedirects: 3, keepFetchedMs: 0 });

beforeAll(async () => {
  plain = createServer((req, res) => {
    const p = req.url ?? '/';
    if (p === '/throttled') return void res.writeHead(429, { 'retry-after': '30' }).end('slow down');
    if (p === '/unavailable') return void res.writeHead(503, { 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' }).end('later');
    if (p === '/odd-retry') return void res.writeHead(503, { 'retry-after': '<script>alert(1)</script>' }).end('later');
    if (p === '/cut-short') {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(BODY.length + 1000) });
      res.write(BODY);
      return void setTimeout(() => res.destroy(), 20);
    }
    res.writeHead(404).end();
  });
  plainUrl = await listenLocal(plain);
  tls = createHttpsServer(privateCaCert(), (_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(BODY));
  const u = await listenLocal(tls);
  tlsUrl = u.replace('http:', 'https:');
});
afterAll(async () => {
  await src.close();
  await closeLocal(plain);
  await closeLocal(tls);
});

describe('CDN and object-store answers, told in words a client can act on', () => {
  it('429 and 503 with Retry-After: the error says when to come back (seconds or a date; nothing else echoed)', async () => {
    const e = await rejection(src.resolve(`${plainUrl}/throttled`));
    expect(e.code).toBe('VLR_MEDIA_FETCH');
    expect(e.message).toMatch(/answered HTTP 429 \(Retry-After: 30\)$/);
    expect(e.details).toMatchObject({ media_status: 429, retry_after: '30' });
    expect((await rejection(src.resolve(`${plainUrl}/unavailable`))).message).toMatch(/HTTP 503 \(Retry-After: Wed, 21 Oct 2026 07:28:00 GMT\)$/);
    expect((await rejection(src.resolve(`${plainUrl}/odd-retry`))).message).toMatch(/HTTP 503$/);
  });

  it('a body cut short of its Content-Length: the connection closed before the whole answer arrived', async () => {
    const e = await rejection(src.resolve(`${plainUrl}/cut-short`));
    expect(e.code).toBe('VLR_MEDIA_FETCH');
    expect(e.message).toMatch(/closed the connection before the whole answer arrived/);
  });

  it('HTTPS from a private CA: refused (verification stays on), and the error names NODE_EXTRA_CA_CERTS', async () => {
    const e = await rejection(src.resolve(`${tlsUrl}/a.jpg`));
    expect(e.code).toBe('VLR_MEDIA_FETCH');
    expect(e.message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE .*NODE_EXTRA_CA_CERTS=/);
  });
});
