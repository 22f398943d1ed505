/**
 * A reranked search whose hits' photos are fetched through an egress proxy (fix19c), on
 * Elasticsearch 8.19 with the grocery pipeline on `f19c-photos*`: documents stored straight into
 * the engine (no vectors, no records) with photo URLs on a static media server (Python's
 * http.server) on loopback, allowed as other media-URL tests allow it (`media.allowHosts`).
 * - through Debian's tinyproxy with basic auth: the photos come through it (its log shows each GET)
 *   and the search is not degraded;
 * - the proxy down (a port nobody listens on): the search is answered 200 (fail-open, as for any
 *   media failure), `vlrerank.document_errors` names the egress proxy, the failures are counted as
 *   `document:VLR_MEDIA_FETCH`, the warning is logged — and the proxy's password is in neither.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { REFUSED_PORT } from '../../helpers/ports.js';
import { counterSum } from '../../helpers/metrics.js';
import { MODELS, REPO_ROOT } from '../../helpers/paths.js';
import { catalog, GROCERY_DIR, pipelinesDir } from '../../helpers/search-fixtures.js';
import { startStaticObjectHost, type StaticObjectHost } from '../../helpers/static-object-host.js';
import { startTinyproxy, type RunningTinyproxy } from '../../helpers/tinyproxy.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const INDEX = 'f19c-photos';
const SECRET = 'Egr3ss-pass';
let engineUrl: string;
let host: StaticObjectHost;
let proxy: RunningTinyproxy;
let pipelines: string;
const servers: RunningServer[] = [];

async function serve(proxyUrl: string): Promise<{ srv: RunningServer; log: () => string }> {
  let log = '';
  const sink = new PassThrough().on('data', (c: Buffer) => (log += c.toString()));
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0, ui: false },
    upstream: { urls: [engineUrl] },
    log: { level: 'info', access: false },
    models: { dir: MODELS, intraOpThreads: 2 },
    media: { allowHosts: ['127.0.0.1'], keepFetchedMs: 0, proxy: proxyUrl },
    pipelines: { dir: pipelines },
    rerank: { admission: { maxQueueWaitMs: 300_000 } },
  });
  const srv = await startServer(config, { logger: createLogger('info', sink) });
  servers.push(srv);
  return { srv, log: () => log };
}

const search = async (srv: RunningServer) => {
  const r = await fetch(`${srv.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 3, query: { match: { title: 'milk' } }, ext: { vlrerank: { query: { text: 'milk' } } } }) });
  return { status: r.status, body: (await r.json()) as any };
};

beforeAll(async () => {
  engineUrl = await useEngine('elasticsearch');
  host = await startStaticObjectHost();
  proxy = await startTinyproxy({ basicAuth: ['alice', SECRET] });
  const grocery = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8').replace(/^name: grocery$/m, 'name: f19c-photos').replace(/^index_patterns: .*$/m, 'index_patterns: [f19c-photos*]');
  pipelines = pipelinesDir({ 'f19c-photos.yaml': grocery });
  const milk = catalog.filter((p) => /milk/i.test(p.title)).slice(0, 4);
  const bulk = milk.flatMap((p, i) => {
    host.put(join(GROCERY_DIR, p.iconic_image), `${i}.jpg`, 1_700_000_000);
    return [JSON.stringify({ index: { _id: String(i) } }), JSON.stringify({ title: p.title, description: p.description, image: `${host.url}/${i}.jpg` })];
  });
  await fetch(`${engineUrl}/${INDEX}`, { method: 'DELETE' });
  const r = await fetch(`${engineUrl}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: `${bulk.join('\n')}\n` });
  expect(((await r.json()) as { errors: boolean }).errors).toBe(false);
}, 300_000);
afterAll(async () => {
  if (engineUrl) await fetch(`${engineUrl}/${INDEX}`, { method: 'DELETE' });
  for (const s of servers) await s.close();
  await proxy?.stop();
  await host?.stop();
});

describe('a reranked search behind an egress proxy', { timeout: 300_000 }, () => {
  it('the hits\' photos come through the proxy (basic auth); the search is not degraded', async () => {
    const { srv, log } = await serve(proxy.url.replace('http://', `http://alice:${SECRET}@`));
    const before = proxy.requests().length;
    const r = await search(srv);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.vlrerank?.degraded ?? false).toBe(false);
    expect(r.body.vlrerank?.document_errors).toBeUndefined();
    expect(r.body.hits.hits.length).toBe(3);
    const asked = proxy.requests().slice(before);
    expect(asked.length).toBeGreaterThanOrEqual(3);
    for (const line of asked) expect(line).toMatch(new RegExp(`^GET ${host.url}/\\d\\.jpg HTTP/1\\.1$`));
    expect(log()).not.toContain(SECRET);
  });

  it('the proxy down: the search is answered, the document errors name the egress proxy, counted and logged without its password', async () => {
    const { srv, log } = await serve(`http://alice:${SECRET}@127.0.0.1:${REFUSED_PORT}`);
    const failed = () => counterSum(srv.url, 'vlrerank_failures_total', { code: 'document:VLR_MEDIA_FETCH' });
    const before = await failed();
    const r = await search(srv);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.hits.hits.length).toBe(3);
    expect(r.body.vlrerank.document_errors.count).toBeGreaterThan(0);
    expect(r.body.vlrerank.document_errors.first).toMatch(/^VLR_MEDIA_FETCH: fetching http:\/\/127\.0\.0\.1:\d+\/\d\.jpg: the egress proxy http:\/\/127\.0\.0\.1:\d+\/ cannot be reached \(ECONNREFUSED\)/);
    expect((await failed()) - before).toBe(r.body.vlrerank.document_errors.count);
    expect(log()).toMatch(/egress proxy http:\/\/127\.0\.0\.1:\d+\/ cannot be reached/);
    expect(JSON.stringify(r.body) + log()).not.toContain(SECRET);
  });
});
