/**
 * Held-out probe round 14f: a search page on another origin (Elastic's Search UI, Searchkit, a
 * hand-written `fetch`) calling the search endpoint through vlrerank, in front of an Elasticsearch
 * 8.19 with `http.cors.*` set (a node of the test's own: the shared engines have no CORS). What a
 * page in Chromium can read — a reranked answer or vlrerank's own error without the engine's
 * CORS headers is a bare "Failed to fetch" to it.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { RunningServer } from '../../src/server/start.js';
import { onlyPipelines, startEdgeServer } from '../helpers/http-server.js';
import { startOwnElasticsearch, type OwnEngine } from '../helpers/own-engine.js';
import { CHROMIUM, closeChromium } from './harness.js';

const INDEX = 'p14f-products';
const PIPELINE = `name: p14f
index_patterns: [p14f-*]
default: true
fields:
  text: [title]
window: { default: 20, max: 50 }
failure: fail_open
`;
// Searchkit / Search UI send a bool query, facets as terms aggregations, a post_filter and highlight
const UI_BODY = {
  query: { bool: { must: [{ multi_match: { query: 'apple', fields: ['title'] } }] } },
  aggs: { cat: { terms: { field: 'cat', size: 10 } } },
  post_filter: { bool: { filter: [] } },
  highlight: { fields: { title: {} } },
  size: 2,
  from: 0,
};

let engine: OwnEngine;
let srv: RunningServer;
let origin: Server;
let context: BrowserContext;
let page: Page;
let userDataDir: string;

/** A `fetch` from the page (credentials included, the ES client's meta header: a preflight first); what the page can read of the answer. */
async function fromPage(url: string, body: string, contentType = 'application/json'): Promise<{ status?: number; body?: any; error?: string }> {
  return page.evaluate(
    async ({ url, body, contentType }) => {
      try {
        const r = await fetch(url, { method: 'POST', credentials: 'include', headers: { 'content-type': contentType, 'x-elastic-client-meta': 'ent=8.0.0-ssui,js=browser,t=8.0.0-ssui,ft=universal' }, body });
        const text = await r.text();
        return { status: r.status, body: text ? JSON.parse(text) : undefined };
      } catch (e) {
        return { error: String(e) };
      }
    },
    { url, body, contentType },
  );
}

beforeAll(async () => {
  engine = await startOwnElasticsearch('p14f-cors', [
    'http.cors.enabled=true',
    'http.cors.allow-origin=/https?:\\/\\/localhost(:[0-9]+)?/',
    'http.cors.allow-credentials=true',
    'http.cors.allow-headers=X-Requested-With, Content-Type, Content-Length, Authorization, X-Elastic-Client-Meta',
  ]);
  await engine.start();
  const put = (path: string, body: string, type = 'application/json') => fetch(`${engine.url}${path}`, { method: path.includes('_bulk') ? 'POST' : 'PUT', headers: { 'content-type': type }, body });
  await put(`/${INDEX}`, JSON.stringify({ mappings: { properties: { title: { type: 'text' }, cat: { type: 'keyword' } } } }));
  const docs = [['red apple', 'fruit'], ['green apple pie', 'bakery'], ['apple juice', 'drinks'], ['pear', 'fruit']];
  await put(`/${INDEX}/_bulk?refresh=true`, docs.map(([title, cat], i) => `{"index":{"_id":"${i + 1}"}}\n${JSON.stringify({ title, cat })}\n`).join(''), 'application/x-ndjson');
  srv = await startEdgeServer({ upstream: engine.url, pipelinesDir: onlyPipelines({ 'p14f.yaml': PIPELINE }) });
  // the page's own origin: http://localhost:<port>, vlrerank and the engine are http://127.0.0.1:<port>
  origin = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>search</title>'));
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  userDataDir = mkdtempSync(join(tmpdir(), 'vlr-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`http://localhost:${(origin.address() as { port: number }).port}/`);
}, 300_000);

afterAll(async () => {
  await closeChromium(context, userDataDir);
  origin?.close();
  await srv?.close();
  await engine?.close();
});

describe('a search page on another origin, through vlrerank, in front of an engine with http.cors.*', () => {
  it("reads vlrerank's own 400 (a bad ext.vlrerank) as the page's first request — not a bare network error", async () => {
    const bad = await fromPage(`${srv.url}/${INDEX}/_search`, JSON.stringify({ ...UI_BODY, ext: { vlrerank: { window: 'x' } } }));
    expect(bad.error).toBeUndefined();
    expect(bad.status).toBe(400);
    expect(bad.body.error.type).toBeTypeOf('string');
  });

  it('reads a reranked search with its facets and highlights, as it reads the engine directly', async () => {
    const direct = await fromPage(`${engine.url}/${INDEX}/_search`, JSON.stringify(UI_BODY));
    expect(direct.status).toBe(200);
    const r = await fromPage(`${srv.url}/${INDEX}/_search`, JSON.stringify(UI_BODY));
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(200);
    expect(r.body.vlrerank).toBeDefined(); // reranked, not passed through
    expect(r.body.aggregations).toEqual(direct.body.aggregations);
    expect(r.body.hits.hits).toHaveLength(2);
    expect(r.body.hits.hits[0].highlight.title[0]).toContain('<em>apple</em>');
  });

  it("gives an origin the engine refuses none of the CORS headers on vlrerank's own error, as the engine gives it none", async () => {
    const r = await request(`${srv.url}/${INDEX}/_search`, { method: 'POST', headers: { origin: 'http://elsewhere.example', 'content-type': 'application/json' }, body: JSON.stringify({ ...UI_BODY, ext: { vlrerank: { window: 'x' } } }) });
    await r.body.dump();
    expect(r.statusCode).toBe(400);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('reads a reranked _msearch (Searchkit, Search UI send their searches this way)', async () => {
    const nd = `{"index":"${INDEX}"}\n${JSON.stringify(UI_BODY)}\n{"index":"${INDEX}"}\n${JSON.stringify({ ...UI_BODY, size: 0 })}\n`;
    const r = await fromPage(`${srv.url}/_msearch`, nd, 'application/x-ndjson');
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(200);
    expect(r.body.responses).toHaveLength(2);
    expect(r.body.responses[0].aggregations.cat.buckets.length).toBe(3);
  });
});

