/**
 * The models directory disappearing while the server runs (moved away; we run as root, so a chmod
 * would not stop reads), then a model file replaced by a directory (issue 13 §6). Models already
 * in memory keep serving; a model that must be read from disk then (never loaded, or unloaded by
 * the admin endpoint) fails clearly — a 503 in each API's shape naming the model and the fix, a
 * reranked search on Elasticsearch answered with its first-stage hits flagged degraded — never a
 * 500, a crash or a hang; once the directory is back, the same server loads and serves again.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { catalog, productImage } from '../../helpers/grocery.js';
import { DATA, MODELS } from '../../helpers/paths.js';
import { ADMIN_TOKEN } from '../../helpers/rerank-server.js';
import { useEngine } from '../../helpers/engines.js';
import { pipelinesDir } from '../../helpers/search-fixtures.js';

const INDEX = 'faults-models-it';
const TEXT = 'bge-small-en-v1.5';
let base: string;
let dir: string;
let srv: RunningServer;
let esUrl: string;

beforeAll(async () => {
  // a models directory of our own: one symlink per model folder of ../shared/models, so it can be moved and broken
  base = mkdtempSync(join(tmpdir(), 'vlr-faults-models-'));
  dir = join(base, 'models');
  mkdirSync(dir);
  for (const m of readdirSync(MODELS)) {
    if (m !== TEXT) {
      symlinkSync(join(MODELS, m), join(dir, m));
      continue;
    }
    mkdirSync(join(dir, m)); // the text model's files one by one, so one of them can become a directory
    for (const f of readdirSync(join(MODELS, m))) symlinkSync(join(MODELS, m, f), join(dir, m, f));
  }
  esUrl = await useEngine('elasticsearch');
  await fetch(`${esUrl}/${INDEX}`, { method: 'DELETE' });
  const lines = ['oat drink', 'oat milk barista', 'granite countertop', 'soy milk'].flatMap((t, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify({ title: t })]);
  expect((await fetch(`${esUrl}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: `${lines.join('\n')}\n` })).status).toBe(200);
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0, ui: false, adminToken: ADMIN_TOKEN },
    upstream: { urls: [esUrl] },
    log: { level: 'silent', access: false },
    models: { dir, intraOpThreads: 2 },
    media: { roots: [DATA] },
    pipelines: { dir: pipelinesDir({ 'faults.yaml': `name: faults-models\nindex_patterns: [${INDEX}]\nfailure: fail_open\nbudget_ms: 60000\nfields: {text: [title]}\n` }) },
    rerank: { warmup: false },
  });
  srv = await startServer(config);
});
afterAll(async () => {
  await srv?.close();
  await fetch(`${esUrl}/${INDEX}`, { method: 'DELETE' }).catch(() => undefined);
  rmSync(base, { recursive: true, force: true });
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(srv.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as any,
  }));
/** A text never seen: its vector is in no cache, so the text model must run. */
const fresh = (t: string) => `${t} ${randomUUID()}`;
const photo = () => join(DATA, productImage(catalog()[Math.floor(Math.random() * 50)]!));
const unload = (id: string) => post(`/_vlrerank/models/${id}/_unload`, undefined, { authorization: `Bearer ${ADMIN_TOKEN}` });
const searchBody = () => ({ size: 4, query: { match: { title: 'milk' } }, ext: { vlrerank: { query: fresh('oat milk'), pipeline: 'faults-models', window: 4 } } });

describe('the models directory taken away while serving', () => {
  it('loaded models keep serving; models that must be read fail with a shaped 503 or a degraded search; restored, all serve again', { timeout: 240_000 }, async () => {
    expect((await post('/v1/rerank', { query: 'oat milk', documents: ['oat drink', 'granite'] })).status).toBe(200); // the text model is in memory

    renameSync(dir, `${dir}.away`);
    try {
      // in memory: still served
      expect((await post('/v1/rerank', { query: 'oat milk', documents: ['oat drink', 'granite'] })).status).toBe(200);
      // never loaded (the image models): the photo cannot be scored, the document is ranked on its text and the client told
      const img = await post('/v1/rerank', { query: 'oat milk', documents: [{ text: 'oat drink', image: photo() }, 'granite'] });
      expect(img.status).toBe(200);
      expect(img.body.meta.warnings).toEqual([expect.stringMatching(/^documents\[0\] scored without its media: VLR_MODEL_MISSING: .*vlrerank models pull/)]);
      expect(img.body.results.map((r: any) => r.index)).toEqual([0, 1]);

      // unloaded by the admin endpoint: it cannot come back while its directory is gone
      expect((await unload(TEXT)).status).toBe(200);
      const v1 = await post('/v1/rerank', { query: fresh('oat milk'), documents: [fresh('oat drink'), fresh('granite')] });
      expect(v1.status).toBe(503);
      expect(v1.body).toMatchObject({ object: 'error', code: 503, message: expect.stringContaining(TEXT) });
      const own = await post('/_vlrerank/rerank', { query: { text: fresh('oat milk') }, documents: [{ text: fresh('oat drink') }] });
      expect(own.status).toBe(503);
      expect(own.body).toMatchObject({ status: 503, error: { type: expect.any(String), vlrerank_code: expect.stringMatching(/^VLR_MODEL_/) } });
      const s = await post(`/${INDEX}/_search`, searchBody());
      expect(s.status).toBe(200);
      expect(s.body.hits.hits.length).toBeGreaterThan(0);
      expect(s.body.vlrerank).toMatchObject({ degraded: expect.any(String), reason: expect.stringMatching(/VLR_MODEL_/) });
    } finally {
      renameSync(`${dir}.away`, dir);
    }
    const back = await post('/v1/rerank', { query: 'oat milk', documents: ['granite', { text: 'oat drink', image: photo() }] });
    expect(back.status).toBe(200);
    expect(back.body.meta.warnings).toBeUndefined();
    const s = await post(`/${INDEX}/_search`, searchBody());
    expect(s.body.vlrerank.degraded).toBe(false);
  });

  it('a model file replaced by a directory: a shaped 503 naming the file; put back, the model serves again', { timeout: 120_000 }, async () => {
    const file = readdirSync(join(dir, TEXT)).find((f) => f.endsWith('.onnx'))!;
    expect((await unload(TEXT)).status).toBe(200);
    rmSync(join(dir, TEXT, file));
    mkdirSync(join(dir, TEXT, file));
    try {
      const v1 = await post('/v1/rerank', { query: fresh('oat milk'), documents: [fresh('oat drink'), fresh('granite')] });
      expect(v1.status).toBe(503);
      expect(v1.body).toMatchObject({ object: 'error', code: 503, message: expect.stringMatching(/not a regular file; run: vlrerank models pull bge-small-en-v1.5/) });
      const s = await post(`/${INDEX}/_search`, searchBody());
      expect(s.status).toBe(200);
      expect(s.body.vlrerank.degraded).toEqual(expect.any(String));
    } finally {
      rmSync(join(dir, TEXT, file), { recursive: true, force: true });
      symlinkSync(join(MODELS, TEXT, file), join(dir, TEXT, file));
    }
    const back = await post('/v1/rerank', { query: 'oat milk', documents: ['granite', 'oat drink'] });
    expect(back.status).toBe(200);
    expect(back.body.results[0].index).toBe(1);
  });
});
