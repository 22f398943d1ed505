// SSRF guard of the media fetcher, against real HTTP servers on loopback: private, loopback,
// link-local and mapped addresses are refused before any connection, names are checked on the
// address they resolve to, every redirect hop is re-checked, and size and time are bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { MediaSource, type MediaSourceOptions } from '../../src/features/media/source.js';
import { rejection } from '../helpers/errors.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

let server: Server;
let port = 0;
const hits: string[] = [];
const open = new Set<ServerResponse>();

function handler(req: IncomingMessage, res: ServerResponse): void {
  hits.push(req.url ?? '');
  open.add(res);
  res.on('close', () => open.delete(res));
  const u = new URL(req.url ?? '/', 'http://x');
  switch (u.pathname) {
    case '/img.png':
      res.writeHead(200, { 'content-type': 'image/png', etag: '"v1"', 'last-modified': 'Tue, 24 Nov 2026 00:00:00 GMT' }).end(PNG);
      return;
    case '/to-loopback-ip': // allowed first hop (host "localhost" is allowlisted), refused second hop (127.0.0.1 is not)
      res.writeHead(302, { location: `http://127.0.0.1:${port}/secret` }).end();
      return;
    case '/to-metadata':
      res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      return;
    case '/to-localhost':
      res.writeHead(307, { location: `/img.png` }).end();
      return;
    case '/img.png.gz': // an image stored gzipped, served with its Content-Encoding whatever was asked (as S3 does)
      res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip' }).end(gzipSync(PNG));
      return;
    case '/img.png.br':
      res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'br' }).end(brotliCompressSync(PNG));
      return;
    case '/img.png.gz.br': // two codings, applied in the order listed (RFC 9110 §8.4)
      res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip, br' }).end(brotliCompressSync(gzipSync(PNG)));
      return;
    case '/not-gzip':
      res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip' }).end(PNG);
      return;
    case '/compress':
      res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'compress' }).end(PNG);
      return;
    case '/gzip-bomb':
      res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(1_000_000)));
      return;
    case '/to-no-url': // a Location that is no URL (held-out probe round 7: an "internal error")
      res.writeHead(302, { location: 'http://[::1' }).end();
      return;
    case '/loop':
      res.writeHead(302, { location: `/loop?n=${Number(u.searchParams.get('n') ?? 0) + 1}` }).end();
      return;
    case '/secret':
      res.writeHead(200).end('secret');
      return;
    case '/big-declared':
      res.writeHead(200, { 'content-length': String(10_000_000) });
      res.write(Buffer.alloc(1000));
      return; // never ends: the client must abort on the header alone
    case '/big-chunked': {
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 50 && res.write(chunk)) sent++;
        if (sent < 50 && !res.destroyed) res.once('drain', pump);
        else res.end();
      };
      pump();
      return;
    }
    case '/slow-headers':
      return; // never answers
    case '/slow-body':
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(PNG.subarray(0, 10));
      return; // never finishes
    case '/missing':
      res.writeHead(404).end('no');
      return;
  }
  res.writeHead(500).end();
}

beforeAll(async () => {
  server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const r of open) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function source(over: Partial<MediaSourceOptions> = {}): MediaSource {
  return new MediaSource({ roots: [], allowHosts: [], maxBytes: 1 << 20, fetchTimeoutMs: 5_000, maxRedirects: 3, ...over });
}


describe('media fetch SSRF guard', () => {
  it('refuses loopback, private, link-local (cloud metadata), CGNAT, unspecified and IPv6 loopback literals without connecting', async () => {
    const s = source();
    const before = hits.length;
    for (const url of [
      `http://127.0.0.1:${port}/img.png`,
      'http://10.1.2.3/img.png',
      'http://192.168.0.10/img.png',
      'http://172.16.5.4/img.png',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/img.png',
      'http://0.0.0.0/img.png',
      `http://[::1]:${port}/img.png`,
      'http://[fd00::1]/img.png',
      'http://[fe80::1]/img.png',
      `http://[::ffff:127.0.0.1]:${port}/img.png`,
      `http://2130706433:${port}/img.png`, // 127.0.0.1 written as one decimal number
      `http://0x7f.1:${port}/img.png`,
    ]) {
      const e = await rejection(s.resolve(url));
      expect(e.code, url).toBe('VLR_MEDIA_FORBIDDEN');
      expect(e.status).toBe(403);
    }
    expect(hits.length).toBe(before); // nothing reached the server
    await s.close();
  });

  it('checks the address a host name resolves to: localhost → 127.0.0.1 is refused', async () => {
    const s = source();
    const before = hits.length;
    const e = await rejection(s.resolve(`http://localhost:${port}/img.png`));
    expect(e.code).toBe('VLR_MEDIA_FORBIDDEN');
    expect(e.message).toMatch(/loopback/);
    // the setting to allow it, named for a server and for a library caller (held-out probe round 11b)
    expect(e.message).toContain('media.allowHosts');
    expect(e.message).toContain('mediaAllowHosts');
    const ip = await rejection(s.resolve(`http://127.0.0.1:${port}/img.png`));
    expect(ip.message).toContain('media.allowHosts');
    expect(ip.message).toContain('mediaAllowHosts');
    expect(hits.length).toBe(before);
    await s.close();
  });

  it('names the kind of address a refused host name resolves to, never the address (held-out probe round 25a)', async () => {
    // any client can put a URL in a document or a rerank request: naming what the server's DNS answers
    // for a name ("localhost: 127.0.0.1 is a loopback address") let it map the server's internal network
    const s = source();
    const e = await rejection(s.resolve(`http://localhost:${port}/img.png`));
    expect(e.code).toBe('VLR_MEDIA_FORBIDDEN');
    expect(e.message).toMatch(/^media host localhost is not allowed: it resolves to a loopback address/);
    expect(e.message).not.toMatch(/127\.0\.0\.1|::1/);
    // through an egress proxy, the name is checked (and refused) before the proxy is asked: the same words
    const p = source({ proxy: `http://127.0.0.1:${port}` });
    const ep = await rejection(p.resolve(`http://localhost:${port}/img.png`));
    expect(ep.code).toBe('VLR_MEDIA_FORBIDDEN');
    expect(ep.message).toMatch(/it resolves to a loopback address \(checked before asking the egress proxy\)/);
    expect(ep.message).not.toMatch(/127\.0\.0\.1|::1/);
    // an IP literal is the client's own words: named as given
    expect((await rejection(s.resolve(`http://127.0.0.1:${port}/img.png`))).message).toContain('127.0.0.1 is a loopback address');
    await s.close();
    await p.close();
  });

  it('fetches from an allowlisted host name, with hash, mime, ETag and Last-Modified', async () => {
    const s = source({ allowHosts: ['localhost'] });
    const m = await s.resolve(`http://localhost:${port}/img.png`);
    expect(m.bytes.equals(PNG)).toBe(true);
    expect(m).toMatchObject({ origin: 'url', mime: 'image/png', etag: '"v1"', lastModified: 'Tue, 24 Nov 2026 00:00:00 GMT' });
    expect(m.contentHash).toMatch(/^[0-9a-f]{64}$/);
    await s.close();
  });

  it('allowlists by CIDR', async () => {
    const s = source({ allowHosts: ['127.0.0.0/8'] });
    expect((await s.resolve(`http://127.0.0.1:${port}/img.png`)).bytes.equals(PNG)).toBe(true);
    await s.close();
  });

  it('re-checks every redirect: an allowlisted first hop redirecting to a loopback IP is refused, and the target is never requested', async () => {
    const s = source({ allowHosts: ['localhost'] });
    hits.length = 0;
    const e = await rejection(s.resolve(`http://localhost:${port}/to-loopback-ip`));
    expect(e.code).toBe('VLR_MEDIA_FORBIDDEN');
    expect(e.message).toContain('127.0.0.1');
    expect(hits).toEqual(['/to-loopback-ip']);
    const e2 = await rejection(s.resolve(`http://localhost:${port}/to-metadata`));
    expect(e2.code).toBe('VLR_MEDIA_FORBIDDEN');
    expect(e2.message).toContain('169.254.169.254');
    await s.close();
  });

  it('follows an allowed redirect, and bounds the number of redirects', async () => {
    const s = source({ allowHosts: ['localhost'], maxRedirects: 3 });
    const m = await s.resolve(`http://localhost:${port}/to-localhost`);
    expect(m.bytes.equals(PNG)).toBe(true);
    expect(m.location).toBe(`http://localhost:${port}/img.png`);
    hits.length = 0;
    const e = await rejection(s.resolve(`http://localhost:${port}/loop`));
    expect(e.code).toBe('VLR_MEDIA_FETCH');
    expect(e.message).toMatch(/too many redirects/);
    expect(hits.length).toBe(4); // the first request + 3 redirects
    await s.close();
  });

  it('refuses an oversized response from its Content-Length and aborts a chunked one past the limit', async () => {
    const s = source({ allowHosts: ['localhost'], maxBytes: 100_000 });
    const e = await rejection(s.resolve(`http://localhost:${port}/big-declared`));
    expect(e.code).toBe('VLR_MEDIA_TOO_LARGE');
    expect(e.status).toBe(413);
    const e2 = await rejection(s.resolve(`http://localhost:${port}/big-chunked`));
    expect(e2.code).toBe('VLR_MEDIA_TOO_LARGE');
    await s.close();
  });

  it('times out on a server that never answers, and on one that stalls mid-body', async () => {
    const s = source({ allowHosts: ['localhost'], fetchTimeoutMs: 300 });
    expect((await rejection(s.resolve(`http://localhost:${port}/slow-headers`))).code).toBe('VLR_MEDIA_TIMEOUT');
    expect((await rejection(s.resolve(`http://localhost:${port}/slow-body`))).code).toBe('VLR_MEDIA_TIMEOUT');
    await s.close();
  });

  it('reports HTTP errors, unknown hosts and bad schemes clearly', async () => {
    const s = source({ allowHosts: ['localhost'] });
    const e = await rejection(s.resolve(`http://localhost:${port}/missing`));
    expect(e.code).toBe('VLR_MEDIA_FETCH');
    expect(e.message).toContain('HTTP 404');
    // .invalid never resolves (RFC 6761); offline CI resolvers may time out instead of answering
    const quick = source({ fetchTimeoutMs: 2000 });
    expect(['VLR_MEDIA_FETCH', 'VLR_MEDIA_TIMEOUT']).toContain((await rejection(quick.resolve('http://no-such-host.invalid/x.png'))).code);
    await quick.close();
    expect((await rejection(s.fetchUrl('ftp://example.com/x.png', { maxBytes: 10 }))).code).toBe('VLR_MEDIA_FORBIDDEN');
    // a redirect whose Location is not a URL: the media error, not an internal one
    const bad = await rejection(s.resolve(`http://localhost:${port}/to-no-url`));
    expect(bad.code).toBe('VLR_MEDIA_FETCH');
    expect(bad.message).toMatch(/HTTP 302 with a Location that is not a valid URL/);
    await s.close();
  });

  it('decodes a body by its Content-Encoding, bounded (held-out probe round 7: a gzipped image was "not a supported image format")', async () => {
    const s = source({ allowHosts: ['localhost'], maxBytes: 100_000 });
    for (const path of ['/img.png.gz', '/img.png.br', '/img.png.gz.br']) expect((await s.resolve(`http://localhost:${port}${path}`)).bytes.equals(PNG), path).toBe(true);
    // the same photo, the same content identity, however it travelled
    expect((await s.resolve(`http://localhost:${port}/img.png.gz`)).contentHash).toBe((await s.resolve(`http://localhost:${port}/img.png`)).contentHash);
    const notGzip = await rejection(s.resolve(`http://localhost:${port}/not-gzip`));
    expect([notGzip.code, notGzip.message]).toEqual(['VLR_MEDIA_FETCH', expect.stringMatching(/not the gzip its Content-Encoding says/)]);
    const compress = await rejection(s.resolve(`http://localhost:${port}/compress`));
    expect([compress.code, compress.message]).toEqual(['VLR_MEDIA_FETCH', expect.stringMatching(/Content-Encoding \[compress\], which vlrerank does not decode/)]);
    expect((await rejection(s.resolve(`http://localhost:${port}/gzip-bomb`))).code).toBe('VLR_MEDIA_TOO_LARGE'); // 1 MB decoded from 1 KB, the limit 100 KB
    await s.close();
  });

  it('keeps query strings (signed URLs) out of error messages', async () => {
    const s = source();
    const e = await rejection(s.resolve('http://10.0.0.1/x.png?X-Amz-Signature=secret123'));
    expect(e.message).not.toContain('secret123');
    await s.close();
  });
});
