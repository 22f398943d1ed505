/**
 * Debian's nginx between vlrerank and Elasticsearch 8.19 (`upstream.urls` pointing at nginx, held-out
 * probe round 17c). When the engine behind nginx is down nginx answers its own HTML 502, when it is
 * slower than `proxy_read_timeout` its HTML 504. vlrerank took those pages for the engine's answers:
 * a reranked search passed nginx's page on with `x-elastic-product: Elasticsearch` stamped on it,
 * `_msearch` put the page in each item's `reason`, engine detection said only "answered 502", and
 * health counted the node reachable — green, ready 200 — while every search failed. Now each is
 * vlrerank's own ES-shaped 502/504 naming nginx, and readiness is 503 naming it. The engine's own
 * errors through the same nginx (a missing index's 404) still pass as the engine gave them.
 */
import { Client, errors as esErrors } from '@elastic/elasticsearch';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';
import { runNginx, type RunningNginx } from '../../helpers/nginx.js';

const OPEN = 'gateway-open';
const CLOSED = 'gateway-closed';
const pipelines = onlyPipelines({
  'open.yaml': `name: gateway-open\nindex_patterns: [${OPEN}]\ndefault: true\nfailure: fail_open\nfields: {text: [title]}\nfeatures: {store: none}\n`,
  'closed.yaml': `name: gateway-closed\nindex_patterns: [${CLOSED}]\ndefault: true\nfailure: fail_closed\nfields: {text: [title]}\nfeatures: {store: none}\n`,
});
const query = { query: { match: { title: 'oat' } }, size: 2 };

let nginx: RunningNginx;
let engine: string;
/** Accepts connections and never answers: an engine slower than nginx waits. */
let silent: Server;
const sockets = new Set<Socket>();
const servers: RunningServer[] = [];
const vlr: Record<'down' | 'slow' | 'dark' | 'through', string> = { down: '', slow: '', dark: '', through: '' };

beforeAll(async () => {
  engine = await useEngine('elasticsearch');
  for (const index of [OPEN, CLOSED]) {
    await fetch(`${engine}/${index}`, { method: 'DELETE' });
    const bulk = ['oat drink', 'red apple', 'oat flakes'].flatMap((title, i) => [JSON.stringify({ index: { _index: index, _id: String(i) } }), JSON.stringify({ title })]).join('\n') + '\n';
    await fetch(`${engine}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
  }
  silent = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const silentPort = (silent.address() as { port: number }).port;
  // The engine down: a Unix socket path in a folder of this test's own that nothing ever creates, so
  // nginx's connect() is refused for the whole file. A free TCP port is not held: the kernel may give
  // it to the next listen on port 0 (nginx's own listeners or the vlrerank servers below — with
  // nginx's `slow` listener there, every engine-down case answers that block's 504, not 502).
  const dead = `unix:${join(mkdtempSync(join(tmpdir(), 'vlr-nginx-dead-')), 'engine-down.sock')}`;
  const es = new URL(engine).host;
  nginx = await runNginx(4, ([down, slow, dark, through]) => `
  upstream es { server ${es}; keepalive 4; }
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  # which engine it is comes through; everything else meets the engine down
  server { listen 127.0.0.1:${down}; location /_nodes/ { proxy_pass http://es; } location / { proxy_pass http://${dead}; } }
  # … or an engine slower than nginx waits
  server { listen 127.0.0.1:${slow}; proxy_read_timeout 1s; location /_nodes/ { proxy_pass http://es; } location / { proxy_pass http://127.0.0.1:${silentPort}; } }
  # the engine down from the start
  server { listen 127.0.0.1:${dark}; location / { proxy_pass http://${dead}; } }
  # the engine up behind nginx, keep-alive to it
  server { listen 127.0.0.1:${through}; location / { proxy_pass http://es; } }
`);
  for (const [i, name] of (['down', 'slow', 'dark', 'through'] as const).entries()) {
    const srv = await startEdgeServer({ upstream: nginx.urls[i]!, pipelinesDir: pipelines });
    servers.push(srv);
    vlr[name] = srv.url;
  }
});

afterAll(async () => {
  for (const s of servers) await s.close();
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent?.close(r));
  await nginx?.stop();
  for (const index of [OPEN, CLOSED]) await fetch(`${engine}/${index}`, { method: 'DELETE' }).catch(() => {});
});

type EsError = { error: { type: string; reason: string; vlrerank_code: string }; status: number };

async function search(url: string, index: string): Promise<{ status: number; type: string | null; product: string | null; body: string }> {
  const res = await fetch(`${url}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(query) });
  return { status: res.status, type: res.headers.get('content-type'), product: res.headers.get('x-elastic-product'), body: await res.text() };
}

describe('nginx between vlrerank and the engine', () => {
  it('the engine up behind nginx: a reranked search answers, and the engine\'s own 404 passes as it gave it', async () => {
    const ok = await search(vlr.through, OPEN);
    expect(ok.status).toBe(200);
    expect((JSON.parse(ok.body) as { vlrerank: { pipeline: string } }).vlrerank.pipeline).toBe('gateway-open');
    const missing = await search(vlr.through, 'gateway-no-such-index');
    expect(missing.status).toBe(404);
    expect((JSON.parse(missing.body) as EsError).error.type).toBe('index_not_found_exception');
  }, 60_000);

  it('the engine down: nginx\'s HTML 502 on a reranked search (fail_open and fail_closed) is vlrerank\'s ES-shaped 502 naming nginx', async () => {
    for (const index of [OPEN, CLOSED]) {
      const r = await search(vlr.down, index);
      expect(r.status).toBe(502);
      expect(r.type).toMatch(/^application\/json/);
      expect(r.product).toBe('Elasticsearch');
      const e = JSON.parse(r.body) as EsError;
      expect(e.error.vlrerank_code).toBe('VLR_UPSTREAM_UNREACHABLE');
      expect(e.error.reason).toContain(`${nginx.urls[0]} answered 502 text/html from nginx`);
      expect(e.error.reason).toContain('not the engine');
      expect(r.body).not.toContain('<html>');
    }
    // the official client reads it as an error of the engine's shape
    const err = await new Client({ node: vlr.down, maxRetries: 0 }).search({ index: OPEN, ...query }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(esErrors.ResponseError);
    expect((err as InstanceType<typeof esErrors.ResponseError>).body).toMatchObject({ error: { type: 'upstream_unreachable_exception' }, status: 502 });
  });

  it('the engine slower than proxy_read_timeout: nginx\'s HTML 504 is vlrerank\'s ES-shaped 504', async () => {
    const r = await search(vlr.slow, CLOSED);
    expect(r.status).toBe(504);
    const e = JSON.parse(r.body) as EsError;
    expect(e.error.vlrerank_code).toBe('VLR_UPSTREAM_TIMEOUT');
    expect(e.error.reason).toContain('answered 504 text/html from nginx');
  }, 30_000);

  it('_msearch: each item names nginx, none carries its HTML page as the engine\'s reason', async () => {
    const lines = [{ index: OPEN }, query, { index: 'gateway-plain-no-pipeline' }, query].map((l) => JSON.stringify(l)).join('\n') + '\n';
    const res = await fetch(`${vlr.down}/_msearch`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines });
    const body = (await res.json()) as { responses: EsError[] };
    expect(body.responses).toHaveLength(2);
    for (const item of body.responses) {
      expect(item.status).toBe(502);
      expect(item.error.reason).toContain('from nginx');
      expect(item.error.reason).not.toContain('<html>');
    }
  });

  it('health: a node that only answers nginx\'s 502 is not reachable — readiness 503 and red, naming nginx', async () => {
    for (const url of [vlr.down, vlr.dark]) {
      const ready = await fetch(`${url}/_vlrerank/health?ready`);
      expect(ready.status).toBe(503);
      const why = (await ready.json()) as { reasons: string[] };
      expect(why.reasons.join(' ')).toMatch(/no cluster node reachable \(.*502 text\/html from nginx/);
      const full = await fetch(`${url}/_vlrerank/health`);
      expect(full.status).toBe(503);
      expect(((await full.json()) as { status: string }).status).toBe('red');
    }
    expect((await fetch(`${vlr.through}/_vlrerank/health?ready`)).status).toBe(200);
  });

  it('the engine down from the start: detection names nginx, not "cannot tell the upstream engine: answered 502" alone', async () => {
    const r = await search(vlr.dark, OPEN);
    expect(r.status).toBe(502);
    const e = JSON.parse(r.body) as EsError;
    expect(e.error.reason).toContain('cannot tell the upstream engine');
    expect(e.error.reason).toContain('502 text/html from nginx');
  });
});
