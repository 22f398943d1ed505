/**
 * Media fetched through the egress proxy a corporate network imposes (fix19c; held-out probe round
 * 14d left HTTP_PROXY/HTTPS_PROXY/NO_PROXY read nowhere). Real parts: Debian's tinyproxy
 * (test/helpers/tinyproxy.ts) in front of Python's http.server and an HTTPS host under a private CA,
 * all on loopback — allowed as the other media-URL tests allow it (`media.allowHosts: 127.0.0.1`).
 * Fakes only for what tinyproxy cannot do on demand, named after the fault: a proxy that is down
 * (a port nobody listens on) and a proxy that accepts and never answers.
 * What the proxy was asked is read from its own log.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaSource, type MediaSourceOptions } from '../../../src/features/media/source.js';
import type { RunningServer } from '../../../src/server/start.js';
import { rejection } from '../../helpers/errors.js';
import { REFUSED_PORT } from '../../helpers/ports.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';
import { DATA } from '../../helpers/paths.js';
import { privateCaCert } from '../../helpers/private-ca.js';
import { postJson, spawnRerankProcess, startRerankServer } from '../../helpers/rerank-server.js';
import { scoreMedia, startStaticObjectHost, type StaticObjectHost } from '../../helpers/static-object-host.js';
import { startTinyproxy, type RunningTinyproxy } from '../../helpers/tinyproxy.js';
import { testReranker } from '../../helpers/reranker.js';
import { killServed, serveLogged } from '../../helpers/serve-logged.js';
import { until } from '../../helpers/until.js';

const PHOTO = join(DATA, 'coco-captions-mini/images/val2017/000000000139.jpg');
const PHOTO_BYTES = readFileSync(PHOTO);
const SECRET = 's3cr3t-Pr0xy';

let host: StaticObjectHost;
let proxy: RunningTinyproxy;
let authProxy: RunningTinyproxy;
/** tinyproxy allowing CONNECT to port 443 only (as many corporate proxies do). */
let port443Proxy: RunningTinyproxy;
let tls: HttpsServer;
let tlsUrl: string;
let caFile: string;
let redirector: Server;
let redirectorUrl: string;
/** A proxy that accepts connections and never answers (the fault a hung proxy is). */
let silent: TcpServer;
let silentUrl: string;
const silentSockets: Socket[] = [];
const sources: MediaSource[] = [];

const source = (over: Partial<MediaSourceOptions>) => {
  const s = new MediaSource({ roots: [], allowHosts: ['127.0.0.1'], maxBytes: 1 << 22, fetchTimeoutMs: 5_000, maxRedirects: 3, keepFetchedMs: 0, ...over });
  sources.push(s);
  return s;
};
const withCredentials = (url: string, user: string, password: string) => url.replace('http://', `http://${user}:${password}@`);

beforeAll(async () => {
  host = await startStaticObjectHost();
  host.put(PHOTO, 'p.jpg', 1_700_000_000);
  proxy = await startTinyproxy();
  authProxy = await startTinyproxy({ basicAuth: ['alice', SECRET] });
  port443Proxy = await startTinyproxy({ connectPorts: [443] });
  const ca = privateCaCert();
  caFile = ca.caFile;
  tls = createHttpsServer(ca, (_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(PHOTO_BYTES));
  tlsUrl = (await listenLocal(tls)).replace('http:', 'https:');
  redirector = createHttpServer((req, res) => res.writeHead(302, { location: req.url === '/to-metadata' ? 'http://169.254.169.254/latest/meta-data/' : `${host.url}/p.jpg` }).end());
  redirectorUrl = await listenLocal(redirector);
  silent = createTcpServer((s) => silentSockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
}, 60_000);
afterAll(async () => {
  await Promise.all(sources.map((s) => s.close()));
  await Promise.all([proxy, authProxy, port443Proxy].map((p) => p?.stop()));
  await host?.stop();
  await closeLocal(redirector);
  tls?.closeAllConnections();
  await new Promise((r) => (tls ? tls.close(r) : r(undefined)));
  for (const s of silentSockets) s.destroy();
  await new Promise((r) => (silent ? silent.close(r) : r(undefined)));
});

describe('media through an egress proxy', { timeout: 60_000 }, () => {
  it('an http:// photo goes through the proxy as an absolute-form request: the same bytes', async () => {
    const before = proxy.requests().length;
    const m = await source({ proxy: proxy.url }).resolve(`${host.url}/p.jpg`);
    expect(Buffer.compare(m.bytes, PHOTO_BYTES)).toBe(0);
    expect(proxy.requests().slice(before)).toEqual([`GET ${host.url}/p.jpg HTTP/1.1`]);
  });

  it('an https:// photo goes through CONNECT, TLS end to end: the proxy sees host:port only, the host\'s certificate is checked here', async () => {
    const before = proxy.requests().length;
    const e = await rejection(source({ proxy: proxy.url }).resolve(`${tlsUrl}/p.jpg`));
    // the private CA's certificate reached us through the tunnel and was verified here (not by the proxy)
    expect(e.code).toBe('VLR_MEDIA_FETCH');
    expect(e.message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE .*NODE_EXTRA_CA_CERTS=.*through the egress proxy http:\/\/127\.0\.0\.1:\d+\//);
    expect(proxy.requests().slice(before)).toEqual([`CONNECT ${new URL(tlsUrl).host} HTTP/1.1`]);
  });

  it('NO_PROXY rules as curl reads them: names and subdomains, IPs, CIDRs, ports, *', async () => {
    const url = `${host.url}/p.jpg`;
    const port = new URL(host.url).port;
    for (const [noProxy, direct] of [
      [['127.0.0.1'], true],
      [['127.0.0.0/8'], true],
      [[`127.0.0.1:${port}`], true],
      [['127.0.0.1:1'], false],
      [['*'], true],
      [['example.com, .corp.internal'], false],
      [['10.0.0.0/8'], false],
    ] as const) {
      const before = proxy.requests().length;
      const hostBefore = host.count('/p.jpg', 200);
      const m = await source({ proxy: proxy.url, noProxy }).resolve(url);
      expect(m.bytes.length, JSON.stringify(noProxy)).toBe(PHOTO_BYTES.length);
      expect(proxy.requests().length - before, JSON.stringify(noProxy)).toBe(direct ? 0 : 1);
      expect(host.count('/p.jpg', 200) - hostBefore).toBe(1);
    }
  });

  it('a proxy with basic auth: the right credentials fetch; none or wrong ones are named errors without the password', async () => {
    const url = `${host.url}/p.jpg`;
    const ok = await source({ proxy: withCredentials(authProxy.url, 'alice', SECRET) }).resolve(url);
    expect(Buffer.compare(ok.bytes, PHOTO_BYTES)).toBe(0);
    // no credentials: tinyproxy's 407
    const none = await rejection(source({ proxy: authProxy.url }).resolve(url));
    expect(none.code).toBe('VLR_MEDIA_FETCH');
    expect(none.message).toMatch(/egress proxy http:\/\/127\.0\.0\.1:\d+\/ refused it with HTTP 407 \(Proxy Authentication Required/);
    expect(none.details.proxy_status).toBe(407);
    // wrong password: tinyproxy answers 401 (squid 407), as an absolute-form answer or a refused CONNECT
    const wrongProxy = withCredentials(authProxy.url, 'alice', 'wrong-Pa55');
    const wrong = await rejection(source({ proxy: wrongProxy }).resolve(url));
    expect(wrong.message).toMatch(/answered HTTP 401 \(through the egress proxy http:\/\/127\.0\.0\.1:\d+\/: its answer or the host's/);
    const wrongTls = await rejection(source({ proxy: wrongProxy }).resolve(`${tlsUrl}/p.jpg`));
    expect(wrongTls.message).toMatch(/egress proxy http:\/\/127\.0\.0\.1:\d+\/ refused it with HTTP 401/);
    for (const e of [none, wrong, wrongTls]) expect(JSON.stringify(e.toJSON())).not.toMatch(/wrong-Pa55|alice|s3cr3t/);
  });

  it('a proxy refusing the tunnel (403: CONNECT to 443 only) is named with its status', async () => {
    const e = await rejection(source({ proxy: port443Proxy.url }).resolve(`${tlsUrl}/p.jpg`));
    expect(e.code).toBe('VLR_MEDIA_FETCH');
    expect(e.message).toMatch(/egress proxy http:\/\/127\.0\.0\.1:\d+\/ refused it with HTTP 403/);
    expect(e.details.proxy_status).toBe(403);
  });

  it('a proxy down, or one that never answers: named errors (fetch, time-out)', async () => {
    const down = `http://127.0.0.1:${REFUSED_PORT}`;
    const e = await rejection(source({ proxy: down }).resolve(`${host.url}/p.jpg`));
    expect(e.code).toBe('VLR_MEDIA_FETCH');
    expect(e.message).toMatch(/egress proxy http:\/\/127\.0\.0\.1:\d+\/ cannot be reached \(ECONNREFUSED\)/);
    for (const url of [`${host.url}/p.jpg`, `${tlsUrl}/p.jpg`]) {
      const t = await rejection(source({ proxy: silentUrl, fetchTimeoutMs: 1_000 }).resolve(url));
      expect(t.code, url).toBe('VLR_MEDIA_TIMEOUT');
      expect(t.message).toMatch(/through the egress proxy http:\/\/127\.0\.0\.1:\d+\/ timed out/);
    }
  });

  it('the SSRF guard holds through the proxy: private targets are refused before the proxy is asked, each redirect hop too', async () => {
    const guarded = source({ proxy: proxy.url, allowHosts: [] });
    const port = new URL(host.url).port;
    const before = proxy.requests().length;
    for (const url of [
      `http://localhost:${port}/p.jpg`, // a name: resolved and checked here (the proxy would resolve it to loopback)
      `http://2130706433:${port}/p.jpg`,
      `http://0x7f.1:${port}/p.jpg`,
      `http://0177.0.0.1:${port}/p.jpg`,
      `http://[::ffff:7f00:1]:${port}/p.jpg`,
      `http://[::1]:${port}/p.jpg`,
      'http://169.254.169.254/latest/meta-data/',
      'https://10.0.0.1/p.jpg',
    ]) {
      const e = await rejection(guarded.resolve(url));
      expect(e.code, url).toBe('VLR_MEDIA_FORBIDDEN');
    }
    // an allowed host redirecting to the metadata address: the first hop goes through the proxy, the second is refused here
    const e = await rejection(source({ proxy: proxy.url }).resolve(`${redirectorUrl}/to-metadata`));
    expect(e.code).toBe('VLR_MEDIA_FORBIDDEN');
    expect(proxy.requests().slice(before)).toEqual([`GET ${redirectorUrl}/to-metadata HTTP/1.1`]);
    // a redirect to an allowed host is followed through the proxy
    const ok = await source({ proxy: proxy.url }).resolve(`${redirectorUrl}/to-photo`);
    expect(ok.bytes.length).toBe(PHOTO_BYTES.length);
    expect(proxy.requests().slice(-2)).toEqual([`GET ${redirectorUrl}/to-photo HTTP/1.1`, `GET ${host.url}/p.jpg HTTP/1.1`]);
  });
});

describe('the library behind an egress proxy', { timeout: 120_000 }, () => {
  it('process() with mediaProxy / mediaNoProxy (the library reads no environment variable)', async () => {
    const input = { query: { text: 'an animal' }, documents: [{ image: `${host.url}/p.jpg` }] };
    const via = testReranker({ mediaAllowHosts: ['127.0.0.1'], mediaProxy: proxy.url });
    const bypass = testReranker({ mediaAllowHosts: ['127.0.0.1'], mediaProxy: proxy.url, mediaNoProxy: ['127.0.0.1'] });
    try {
      const before = proxy.requests().length;
      const a = await via.process(input);
      expect(a.errors).toEqual([]);
      expect(proxy.requests().slice(before)).toEqual([`GET ${host.url}/p.jpg HTTP/1.1`]);
      const b = await bypass.process(input);
      expect(b.errors).toEqual([]);
      expect(b[0]!.score).toBe(a[0]!.score);
      expect(proxy.requests().length).toBe(before + 1);
    } finally {
      await Promise.all([via.close(), bypass.close()]);
    }
  });
});

describe('vlrerank serve behind an egress proxy', { timeout: 300_000 }, () => {
  let srv: RunningServer | undefined;
  let down: RunningServer | undefined;
  afterAll(async () => {
    await srv?.close();
    await down?.close();
  });

  it('HTTPS_PROXY with credentials and NODE_EXTRA_CA_CERTS: a photo by https URL through CONNECT scores as the same photo by path; the password is in no log', async () => {
    const before = authProxy.requests().length;
    const child = await spawnRerankProcess({ env: { VLRERANK_MEDIA_ALLOW_HOSTS: '127.0.0.1', HTTPS_PROXY: withCredentials(authProxy.url, 'alice', SECRET), NODE_EXTRA_CA_CERTS: caFile } });
    let logs = '';
    child.child.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
    child.child.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
    try {
      const byUrl = await scoreMedia(child.url, { image: `${tlsUrl}/p.jpg` });
      const byPath = await scoreMedia(child.url, { image: PHOTO });
      expect(byUrl).toBe(byPath);
      expect(authProxy.requests().slice(before)).toEqual([`CONNECT ${new URL(tlsUrl).host} HTTP/1.1`]);
      // a failure through it is logged without the password either
      const r = await postJson(child.url, '/v1/rerank', { query: 'an animal', documents: [{ text: 'a', image: 'https://127.0.0.1:1/x.jpg' }] });
      expect(r.status).toBe(200);
    } finally {
      await child.stop();
    }
    expect(logs).not.toContain(SECRET);
  });

  it('`serve` says at start which proxy media go through (from HTTPS_PROXY), without its password', async () => {
    const s = await serveLogged(['--upstream', 'http://127.0.0.1:9'], [], { HTTPS_PROXY: withCredentials(authProxy.url, 'alice', SECRET), no_proxy: 'internal.corp' });
    try {
      await until(() => s.out.includes('egress proxy'), { tries: 600, everyMs: 100, what: 'the egress proxy line at start' });
      const line = JSON.parse(s.out.split('\n').find((l) => l.includes('egress proxy'))!) as { msg: string; media_proxy: Record<string, string>; no_proxy: string[] };
      expect(line.media_proxy).toEqual({ https: `http://[redacted]@127.0.0.1:${authProxy.port}` });
      expect(line.no_proxy).toEqual(['internal.corp']);
      expect(line.msg).toMatch(/the engines are reached directly/);
    } finally {
      killServed();
    }
    expect(s.out + s.err).not.toContain(SECRET);
  });

  it('media.proxy down: the document\'s error names the proxy, the rerank is answered (fail-open)', async () => {
    down = await startRerankServer({ 'media.allowHosts': ['127.0.0.1'], 'media.proxy': `http://alice:${SECRET}@127.0.0.1:${REFUSED_PORT}`, 'rerank.warmup': false });
    const r = await postJson(down.url, '/v1/rerank', { query: 'an animal', documents: [{ text: 'a cat on a sofa', image: `${host.url}/p.jpg` }, { text: 'a dog' }] });
    expect(r.status).toBe(200);
    expect(r.json.results).toHaveLength(2);
    const said = JSON.stringify(r.json.meta.warnings);
    expect(said).toMatch(/egress proxy http:\/\/127\.0\.0\.1:\d+\/ cannot be reached \(ECONNREFUSED\)/);
    expect(said).not.toContain(SECRET);
  });
});
