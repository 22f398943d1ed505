/**
 * A 503 for a model that is not available, as the SDKs that retry every 503 read it (held-out probe
 * round 13b, left; fix14): a model missing on disk does not come back by waiting, so the answer says
 * so in its reason (`retryable: false`) and carries no `Retry-After` — on `/v1/rerank` (the Cohere
 * shape), `/_vlrerank/rerank` and a fail_closed reranked `_search` (the ES client's ResponseError).
 * A 503 for models that come back by waiting — a worker still warming up asks for time with a 429
 * and `Retry-After` once its queue is full (rerank/admission.ts) — carries that time on
 * `/_vlrerank/rerank` (`backend: remote`) and now on the fail_closed search's 503 that wraps it too (it had none). A real server
 * whose models folder lacks the text model (the others are the real ones), real Elasticsearch 8.19,
 * the worker's 429 played by a small fake (`worker-429-retry-after`).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { MODELS } from '../../helpers/paths.js';
import { startRerankServer } from '../../helpers/rerank-server.js';
import { startFaultWorker, type FaultWorker } from '../../helpers/remote-worker-faults.js';
import { clientSearchRaw } from '../../helpers/search-fixtures.js';

const TEXT_MODEL = 'bge-small-en-v1.5';
const INDEX = 'f14-model-gone';
const NOTE = /does not come back by waiting/;

describe('a 503 for a model missing on disk', () => {
  let tmp: string;
  let srv: RunningServer;
  let es: string;
  beforeAll(async () => {
    es = await useEngine('elasticsearch');
    tmp = mkdtempSync(join(tmpdir(), 'vlr-f14-model-gone-'));
    const dir = join(tmp, 'models');
    mkdirSync(dir);
    for (const m of readdirSync(MODELS)) if (m !== TEXT_MODEL) symlinkSync(join(MODELS, m), join(dir, m));
    mkdirSync(join(tmp, 'pipelines'));
    writeFileSync(join(tmp, 'pipelines', 'gone.yaml'), `name: f14-gone\nindex_patterns: [${INDEX}]\nfields: {text: [title]}\nfailure: fail_closed\n`);
    srv = await startRerankServer({ 'upstream.urls': [es], 'models.dir': dir, 'pipelines.dir': join(tmp, 'pipelines'), 'rerank.warmup': false, 'store.disk.path': 'off' });
    await fetch(`${es}/${INDEX}`, { method: 'DELETE' });
    const lines = ['apple pie', 'honey cake'].flatMap((title, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify({ title })]).join('\n') + '\n';
    await fetch(`${es}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines });
  });
  afterAll(async () => {
    await srv?.close();
    await fetch(`${es}/${INDEX}`, { method: 'DELETE' }).catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  });

  it.each(['/v1/rerank', '/_vlrerank/rerank'])('%s: says waiting will not help, no Retry-After', async (path) => {
    const res = await request(`${srv.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `pie ${path}`, documents: ['apple pie', 'honey cake'] }) });
    const body = (await res.body.json()) as any;
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBeUndefined();
    const reason: string = path === '/v1/rerank' ? body.message : body.error.reason;
    expect(reason).toMatch(/vlrerank models pull bge-small-en-v1\.5/);
    expect(reason).toMatch(NOTE);
    expect(body.error.retryable).toBe(false);
  });

  it('a fail_closed reranked _search: its 503 says so too, no Retry-After', async () => {
    const r = await clientSearchRaw('elasticsearch', srv.url, { index: INDEX, body: { query: { match: { title: 'apple' } }, ext: { vlrerank: { query: 'pie in a search' } } } });
    expect(r.statusCode).toBe(503);
    expect(r.body.error.type).toBe('rerank_failed_exception');
    expect(r.headers['retry-after']).toBeUndefined();
    expect(r.body.error.reason).toMatch(/vlrerank models pull/);
    expect(r.body.error.reason).toMatch(NOTE);
    expect(r.body.error.retryable).toBe(false);
  });
});

describe('a 503 for models that come back by waiting (a worker that asks for time)', () => {
  let tmp: string;
  let srv: RunningServer;
  let worker: FaultWorker;
  let es: string;
  beforeAll(async () => {
    es = await useEngine('elasticsearch');
    worker = await startFaultWorker('worker-429-retry-after');
    tmp = mkdtempSync(join(tmpdir(), 'vlr-f14-worker-busy-'));
    mkdirSync(join(tmp, 'pipelines'));
    writeFileSync(join(tmp, 'pipelines', 'busy.yaml'), `name: f14-busy\nindex_patterns: [${INDEX}-busy]\nfields: {text: [title]}\nscorer: {backend: remote}\nfailure: fail_closed\n`);
    srv = await startRerankServer({ 'upstream.urls': [es], 'pipelines.dir': join(tmp, 'pipelines'), 'rerank.warmup': false, 'store.disk.path': 'off', 'rerank.remote.urls': [worker.url] });
    await fetch(`${es}/${INDEX}-busy`, { method: 'DELETE' });
    const lines = ['apple pie', 'honey cake'].flatMap((title, i) => [JSON.stringify({ index: { _index: `${INDEX}-busy`, _id: String(i) } }), JSON.stringify({ title })]).join('\n') + '\n';
    await fetch(`${es}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines });
  });
  afterAll(async () => {
    await srv?.close();
    await worker?.close();
    await fetch(`${es}/${INDEX}-busy`, { method: 'DELETE' }).catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('/_vlrerank/rerank (backend: remote) and a fail_closed reranked _search: 503 with the Retry-After the worker asked for', async () => {
    const res = await request(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'pie', documents: ['apple pie', 'honey cake'], backend: 'remote' }) });
    const body = (await res.body.json()) as any;
    expect(res.statusCode).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(body.error.reason).not.toMatch(NOTE);
    const r = await clientSearchRaw('elasticsearch', srv.url, { index: `${INDEX}-busy`, body: { query: { match: { title: 'apple' } }, ext: { vlrerank: { query: 'pie' } } } });
    expect(r.statusCode).toBe(503);
    expect(r.body.error.type).toBe('rerank_failed_exception');
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(r.body.error.retryable).toBe(true);
  });
});
