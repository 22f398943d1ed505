/**
 * A photo URL is fetched once per request (held-out probe round 9): a search by photo URL fetched
 * it for the kNN vector and again for the rerank, a write of a document with a photo URL for its
 * vectors and again for its feature record — the whole file again from a host without validators,
 * a 304 round trip from one with them. A real HTTP server started here plays the media host and
 * counts what it is asked; vlrerank serves in front of Elasticsearch 8.19 with the real models and
 * a pipeline of its own on `gaps11-photos*` (the grocery pipeline: search by photo, vectors and
 * records at ingest). Each path is asked of a fresh URL (a new path), so nothing seen before helps.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { setupIndex } from '../../../src/engine/mapping.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';
import { DATA, MODELS, REPO_ROOT } from '../../helpers/paths.js';
import { catalog, GROCERY_DIR, pipelinesDir } from '../../helpers/search-fixtures.js';

const INDEX = 'gaps11-photos-once';
const PHOTOS = [0, 1, 2, 3, 4].map((i) => readFileSync(join(GROCERY_DIR, catalog[i * 7]!.iconic_image)));
const asked = new Map<string, number>();
let host: Server;
let hostUrl: string;
let srv: RunningServer;

beforeAll(async () => {
  host = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    asked.set(path, (asked.get(path) ?? 0) + 1);
    const photo = PHOTOS[Number(/(\d+)\.jpg$/.exec(path)?.[1] ?? 0) % PHOTOS.length]!;
    // `/etag/…` sends validators (a second ask would be a conditional one), the others none
    const validators = path.startsWith('/etag/') ? { etag: `"${path}"` } : {};
    if (validators.etag && req.headers['if-none-match'] === validators.etag) return void res.writeHead(304, validators).end();
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(photo.length), ...validators }).end(photo);
  });
  hostUrl = await listenLocal(host);
  const grocery = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8').replace(/^name: grocery$/m, 'name: gaps11-photos').replace(/^index_patterns: .*$/m, 'index_patterns: [gaps11-photos*]');
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0, ui: false },
    upstream: { urls: [await useEngine('elasticsearch')] },
    log: { level: 'silent', access: false },
    models: { dir: MODELS, intraOpThreads: 2 },
    // a keep of 60 s (10 s by default), so that a loaded CI machine's slow first stage cannot outlast it
    media: { roots: [DATA], allowHosts: ['127.0.0.1'], keepFetchedMs: 60_000 },
    pipelines: { dir: pipelinesDir({ 'gaps11-photos.yaml': grocery }) },
    rerank: { admission: { maxQueueWaitMs: 300_000 } },
  });
  srv = await startServer(config);
  await srv.services.engine.json('DELETE', `/${INDEX}`);
  await setupIndex(srv.services.engine, srv.services.pipelines.forIndex(INDEX)!, INDEX);
}, 300_000);
afterAll(async () => {
  await srv?.services.engine.json('DELETE', `/${INDEX}`);
  await srv?.close();
  await closeLocal(host);
});

const send = async (method: string, path: string, body: unknown, ndjson = false) => {
  const r = await fetch(`${srv.url}${path}`, { method, headers: { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' }, body: ndjson ? (body as string) : JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as any };
};
const doc = (i: number, image: string) => ({ title: catalog[i * 7]!.title, description: catalog[i * 7]!.description, image });

describe('a photo URL is fetched once per request', { timeout: 300_000 }, () => {
  it('a write (_doc): vectors and feature record from one fetch', async () => {
    const r = await send('PUT', `/${INDEX}/_doc/w1?refresh=true`, doc(1, `${hostUrl}/w/1.jpg`));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const stored = await srv.services.engine.json<any>('GET', `/${INDEX}/_doc/w1?_source=image_vector`);
    expect(stored.body._source.image_vector).toHaveLength(1280);
    const withRecord = await srv.services.engine.json<any>('POST', `/${INDEX}/_count`, { query: { bool: { filter: [{ ids: { values: ['w1'] } }, { exists: { field: 'vlrerank_features_key' } }] } } });
    expect(withRecord.body.count).toBe(1);
    expect(asked.get('/w/1.jpg')).toBe(1);
  });

  it('a _bulk: each document\'s photo fetched once', async () => {
    const nd = [2, 3, 4].flatMap((i) => [JSON.stringify({ index: { _id: `b${i}` } }), JSON.stringify(doc(i, `${hostUrl}/b/${i}.jpg`))]).join('\n') + '\n';
    const r = await send('POST', `/${INDEX}/_bulk?refresh=true`, nd, true);
    expect(r.body.errors, JSON.stringify(r.body)).toBe(false);
    expect([2, 3, 4].map((i) => asked.get(`/b/${i}.jpg`))).toEqual([1, 1, 1]);
  });

  it.each([
    ['without validators', '/q/0.jpg'],
    ['with an ETag (no 304 round trip either)', '/etag/q/0.jpg'],
  ])('a search by photo URL %s: kNN vector and rerank from one fetch', async (_what, path) => {
    const r = await send('POST', `/${INDEX}/_search`, { size: 3, _source: ['title'], ext: { vlrerank: { query: { image: `${hostUrl}${path}` } } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.vlrerank?.degraded ?? false).toBe(false);
    expect(r.body.hits.hits.length).toBeGreaterThan(0);
    expect(asked.get(path)).toBe(1);
  });
});
