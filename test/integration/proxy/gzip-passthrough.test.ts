/**
 * Content-Encoding passes untouched: a gzip-compressed request body reaches the engine as sent,
 * and the engine's gzip response reaches the client byte for byte (the proxy never decompresses
 * a passthrough body). A `_bulk` is the exception when a pipeline adds vectors at ingest (the
 * shipped ones do): it is decoded to be read action by action and sent on uncompressed — its
 * documents stored alike (ingest-compressed-bulk.test.ts has the records).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { useEngine } from '../../helpers/engines.js';
import { startProxy } from '../../helpers/proxy.js';
import { scifactDocs } from '../../helpers/scifact-docs.js';
import type { RunningServer } from '../../../src/server/start.js';

const INDEX = 'vlr-it-gzip';
let es: string;
let server: RunningServer;

async function raw(base: string, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: Buffer) {
  const r = await request(base + path, { method, headers, body });
  return { status: r.statusCode, headers: r.headers, bytes: Buffer.from(await r.body.arrayBuffer()) };
}

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  server = await startProxy([es]);
  await fetch(`${es}/${INDEX}`, { method: 'DELETE' });
});
afterAll(async () => {
  await fetch(`${es}/${INDEX}`, { method: 'DELETE' });
  await server?.close();
});

describe('gzip passthrough', () => {
  it('a gzip-compressed _bulk of an index no pipeline covers is stored alike', async () => {
    const ndjson = scifactDocs(200)
      .map((d) => `{"index":{"_index":"${INDEX}","_id":"${d.id}"}}\n${JSON.stringify({ title: d.title, text: d.text })}\n`)
      .join('');
    const gz = gzipSync(ndjson);
    const r = await raw(server.url, 'POST', '/_bulk?refresh=true&filter_path=errors,items.*.status', { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, gz);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.bytes.toString()) as { errors: boolean; items: unknown[] };
    expect(body.errors).toBe(false);
    expect(body.items).toHaveLength(200);
  });

  it('returns the engine gzip response bytes unchanged', async () => {
    const path = `/${INDEX}/_doc/${scifactDocs(1)[0]!.id}`;
    const h = { 'accept-encoding': 'gzip' };
    const d = await raw(es, 'GET', path, h);
    const p = await raw(server.url, 'GET', path, h);
    expect(d.headers['content-encoding']).toBe('gzip');
    expect(p.headers['content-encoding']).toBe('gzip');
    expect(p.bytes.equals(d.bytes)).toBe(true);
    expect(JSON.parse(gunzipSync(p.bytes).toString())).toMatchObject({ found: true });
  });
});
