/**
 * docs/nginx.conf as written (its ports, vlrerank's address and its certificate paths replaced):
 * Debian's nginx in front of vlrerank at `/search/`, HTTP/2 and TLS at the front with a CA of the
 * test's own, on Elasticsearch 8.19 (held-out probe round 17c). Over HTTP/2 a reranked search answers
 * under the prefix, the access line names the client nginx forwarded for, and a body past vlrerank's
 * `server.maxJsonBodyBytes` is refused by vlrerank in the ES shape — not by nginx's HTML 413, which
 * the example's `client_max_body_size` keeps out of the way.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type ClientHttp2Session } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';
import { runNginx, type RunningNginx } from '../../helpers/nginx.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { until } from '../../helpers/until.js';

const INDEX = 'nginx-front';
const dir = mkdtempSync(join(tmpdir(), 'vlr-nginx-tls-'));
const f = (n: string) => join(dir, n);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

const lines: string[] = [];
const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(...String(c).split('\n').filter(Boolean)), cb()) }));
const access = () => lines.map((l) => JSON.parse(l) as { access?: { path: string; status: number; forwarded_for?: string; remote?: string } }).flatMap((l) => (l.access ? [l.access] : []));

let engine: string;
let vlr: RunningServer;
let nginx: RunningNginx;
let h2: ClientHttp2Session;

beforeAll(async () => {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=vlrerank test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(f('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('server.ext'));

  engine = await useEngine('elasticsearch');
  await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
  const bulk = ['oat drink', 'red apple', 'oat flakes'].flatMap((title, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify({ title })]).join('\n') + '\n';
  await fetch(`${engine}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
  vlr = await startEdgeServer({
    upstream: engine,
    server: { maxJsonBodyBytes: 1024 * 1024 },
    log: { level: 'info', access: true },
    logger,
    pipelinesDir: onlyPipelines({ 'p.yaml': `name: nginx-front\nindex_patterns: [${INDEX}]\ndefault: true\nfields: {text: [title]}\nfeatures: {store: none}\n` }),
  });
  const example = readFileSync(join(REPO_ROOT, 'docs/nginx.conf'), 'utf8');
  nginx = await runNginx(1, ([port]) =>
    example
      .replace(/^\s*server 127\.0\.0\.1:9280;$/m, `    server ${new URL(vlr.url).host};`)
      .replace(/^\s*listen 443 ssl http2;$/m, `    listen 127.0.0.1:${port} ssl http2;`)
      .replace('/etc/nginx/tls/vlrerank.crt', f('server.pem'))
      .replace('/etc/nginx/tls/vlrerank.key', f('server.key')),
  );
  h2 = connect(`https://localhost:${new URL(nginx.urls[0]!).port}`, { ca: readFileSync(f('ca.pem')) });
});

afterAll(async () => {
  h2?.close();
  await nginx?.stop();
  await vlr?.close();
  await fetch(`${engine}/${INDEX}`, { method: 'DELETE' }).catch(() => {});
});

function post(path: string, body: string): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = h2.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json' });
    let status = 0;
    let type = '';
    let text = '';
    req.on('response', (h) => ((status = Number(h[':status'])), (type = String(h['content-type'] ?? ''))));
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => resolve({ status, type, text }));
    req.on('error', reject);
    req.end(body);
  });
}

it('over HTTP/2 and TLS, a reranked search at /search/ answers, and the access line names the client nginx forwarded for', async () => {
  const r = await post(`/search/${INDEX}/_search`, JSON.stringify({ query: { match: { title: 'oat' } } }));
  expect(h2.alpnProtocol).toBe('h2');
  expect(r.status).toBe(200);
  expect((JSON.parse(r.text) as { vlrerank: { pipeline: string } }).vlrerank.pipeline).toBe('nginx-front');
  await until(() => access().some((a) => a.path === `/${INDEX}/_search`), { tries: 300, everyMs: 100, what: 'the access line' });
  expect(access().find((a) => a.path === `/${INDEX}/_search`)).toMatchObject({ status: 200, forwarded_for: '127.0.0.1' });
}, 60_000);

it("a body past vlrerank's limit is vlrerank's ES-shaped 413, not nginx's HTML page", async () => {
  const r = await post(`/search/${INDEX}/_search`, JSON.stringify({ query: { match: { title: 'x'.repeat(2 * 1024 * 1024) } } }));
  expect(r.status).toBe(413);
  expect(r.type).toMatch(/^application\/json/);
  expect((JSON.parse(r.text) as { error: { vlrerank_code: string } }).error.vlrerank_code).toBe('VLR_BODY_TOO_LARGE');
}, 60_000);
