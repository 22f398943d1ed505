/**
 * Two vlrerank servers in one process, in front of two clusters with two CORS policies: one of the
 * test's own with `http.cors.*` allowing `http://localhost:*`, the shared Elasticsearch 8.19 with no
 * CORS at all. What each learns of its engine's CORS answers is its own (fix15): the table was module
 * state (search/cors.ts), so the first server's lesson went out on the second's errors — a page the
 * second engine would refuse read them — and an origin the second engine refused was then refused by
 * the first server too (its engine never asked).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { RunningServer } from '../../../src/server/start.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';
import { startOwnElasticsearch, type OwnEngine } from '../../helpers/own-engine.js';

const SHARED_ES = 'http://127.0.0.1:19200';
const PIPELINE = `name: fix15cors
index_patterns: [fix15-cors-*]
default: true
fields:
  text: [title]
window: { default: 20, max: 50 }
failure: fail_open
`;

let engine: OwnEngine;
let withCors: RunningServer;
let withoutCors: RunningServer;

beforeAll(async () => {
  engine = await startOwnElasticsearch('fix15-cors', ['http.cors.enabled=true', 'http.cors.allow-origin=/https?:\\/\\/localhost(:[0-9]+)?/', 'http.cors.allow-credentials=true']);
  await engine.start();
  const pipelinesDir = onlyPipelines({ 'fix15cors.yaml': PIPELINE });
  withCors = await startEdgeServer({ upstream: engine.url, pipelinesDir });
  withoutCors = await startEdgeServer({ upstream: SHARED_ES, pipelinesDir });
}, 300_000);

afterAll(async () => {
  await withCors?.close();
  await withoutCors?.close();
  await engine?.close();
});

/** vlrerank's own 400 on a search path (a bad `ext.vlrerank`) to a page on `origin`: the CORS header it carries. */
async function ownErrorTo(srv: RunningServer, origin: string): Promise<string | undefined> {
  const r = await request(`${srv.url}/fix15-cors-x/_search`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ query: { match: { title: 'apple' } }, ext: { vlrerank: { window: 'x' } } }) });
  await r.body.dump();
  expect(r.statusCode).toBe(400);
  const h = r.headers['access-control-allow-origin'];
  return typeof h === 'string' ? h : undefined;
}

describe('two servers in one process, two engines with different CORS policies', () => {
  it("the second server's errors do not carry what the first learnt of its engine", async () => {
    const origin = 'http://localhost:5173';
    expect(await ownErrorTo(withCors, origin)).toBe(origin);
    // the shared engine answers this origin's preflight without CORS headers: so must vlrerank in front of it
    expect(await ownErrorTo(withoutCors, origin)).toBeUndefined();
    expect(await ownErrorTo(withCors, origin)).toBe(origin);
  });

  it("the first server still asks its own engine about an origin the second's refused", async () => {
    const origin = 'http://localhost:8080';
    expect(await ownErrorTo(withoutCors, origin)).toBeUndefined();
    expect(await ownErrorTo(withCors, origin)).toBe(origin);
  });
});
