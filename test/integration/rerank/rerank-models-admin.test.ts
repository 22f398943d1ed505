/**
 * Model administration: list with state and provider; _load/_unload need the admin token
 * (Bearer or x-vlrerank-admin-token); unknown ids are 404; a server without a token refuses.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { ADMIN_TOKEN, startRerankServer } from '../../helpers/rerank-server.js';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startRerankServer({ 'rerank.warmup': false }); // lazy loading is what these tests look at
});
afterAll(async () => {
  await srv?.close();
});

const call = async (method: string, path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(srv.url + path, { method, headers });
  return { status: res.status, json: (await res.json()) as any };
};

it('lists models, lazily unloaded at start', async () => {
  const r = await call('GET', '/_vlrerank/models');
  expect(r.status).toBe(200);
  const bge = r.json.models.find((m: any) => m.id === 'bge-small-en-v1.5');
  expect(bge.state).toBe('unloaded');
  expect(r.json.calibration.signals.text_text.a).toEqual(expect.any(Number));
});

it('_load and _unload need the admin token', { timeout: 120_000 }, async () => {
  expect((await call('POST', '/_vlrerank/models/bge-small-en-v1.5/_load')).status).toBe(401);
  expect((await call('POST', '/_vlrerank/models/bge-small-en-v1.5/_load', { authorization: 'Bearer wrong-token-000' })).status).toBe(401);
  const loaded = await call('POST', '/_vlrerank/models/bge-small-en-v1.5/_load', { authorization: `Bearer ${ADMIN_TOKEN}` });
  expect(loaded.status).toBe(200);
  expect(loaded.json.model).toMatchObject({ id: 'bge-small-en-v1.5', state: 'loaded', provider: 'cpu' });
  const unloaded = await call('POST', '/_vlrerank/models/bge-small-en-v1.5/_unload', { 'x-vlrerank-admin-token': ADMIN_TOKEN });
  expect(unloaded.status).toBe(200);
  expect(unloaded.json.model.state).toBe('unloaded');
  const missing = await call('POST', '/_vlrerank/models/nope/_load', { authorization: `Bearer ${ADMIN_TOKEN}` });
  expect(missing.status).toBe(404);
  expect(missing.json.error.type).toBe('model_not_found_exception');
});

it('after an unload, the next rerank loads the model again', { timeout: 120_000 }, async () => {
  const res = await fetch(`${srv.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'horse', documents: ['a horse', 'a cup'] }) });
  expect(res.status).toBe(200);
  expect((await res.json()).results[0].index).toBe(0);
});
