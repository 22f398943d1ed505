/**
 * A model unloaded by the admin endpoint while requests use it (issue 13 §6): the unload waits
 * for the runs in flight, the requests under way load it again for their later batches, and every
 * one of them answers 200 with all its documents ranked — no error, no hang — as does the next
 * request. Real server, real text and image models, real photos; the unload lands while requests
 * are provably still pending (checked, not assumed).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { catalog, productImage } from '../../helpers/grocery.js';
import { DATA } from '../../helpers/paths.js';
import { ADMIN_TOKEN, startRerankServer } from '../../helpers/rerank-server.js';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startRerankServer({ 'rerank.warmup': false });
});
afterAll(async () => srv?.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(srv.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
const words = ['oat', 'milk', 'apple', 'juice', 'yoghurt', 'pepper', 'melon', 'carrot', 'cheese', 'bread'];
const text = () => `${randomUUID()} ${words.sort(() => Math.random() - 0.5).slice(0, 5).join(' ')}`;
async function model(id: string): Promise<{ state: string; sessions: Array<{ runs: number; loads: number }> }> {
  const list = (await (await fetch(`${srv.url}/_vlrerank/models`)).json()) as any;
  return list.models.find((m: any) => m.id === id);
}
const loads = (m: { sessions: Array<{ loads: number }> }) => m.sessions.reduce((a, s) => a + s.loads, 0);
const runs = (m: { sessions: Array<{ runs: number }> }) => m.sessions.reduce((a, s) => a + s.runs, 0);

it('unloading the text and image models mid-request: every request answers 200 in full, the models load again', { timeout: 240_000 }, async () => {
  const photos = catalog().map((p) => join(DATA, productImage(p)));
  // loaded once, as a serving server's models are
  expect((await post('/v1/rerank', { query: 'oat milk', documents: [{ text: 'oat drink', image: photos[0] }] })).status).toBe(200);
  const before = { text: loads(await model('bge-small-en-v1.5')), image: loads(await model('efficientnet-lite2-imagenet')) };
  const textRuns = runs(await model('bge-small-en-v1.5'));

  let settled = 0;
  const requests = Array.from({ length: 3 }, (_, k) =>
    post('/v1/rerank', { query: 'oat milk', documents: [...Array.from({ length: 40 }, text), ...photos.slice(1 + k * 3, 4 + k * 3).map((image) => ({ text: text(), image }))] })
      .then(async (r) => ({ status: r.status, body: (await r.json()) as any }))
      .finally(() => settled++),
  );
  // the requests are running: the text model has run since
  while (runs(await model('bge-small-en-v1.5')) === textRuns) await new Promise((r) => setTimeout(r, 20));
  const [t, i] = await Promise.all([
    post('/_vlrerank/models/bge-small-en-v1.5/_unload', undefined, { authorization: `Bearer ${ADMIN_TOKEN}` }),
    post('/_vlrerank/models/efficientnet-lite2-imagenet/_unload', undefined, { authorization: `Bearer ${ADMIN_TOKEN}` }),
  ]);
  expect(settled).toBeLessThan(3); // the unloads answered while requests were still under way
  expect(t.status).toBe(200);
  expect(i.status).toBe(200);

  const out = await Promise.all(requests);
  for (const r of out) {
    expect(r.status).toBe(200);
    expect(r.body.results).toHaveLength(43);
    expect(r.body.meta.warnings).toBeUndefined();
  }
  // later batches of the same requests loaded the text model again; the next request works
  expect(loads(await model('bge-small-en-v1.5'))).toBeGreaterThan(before.text);
  const next = await post('/v1/rerank', { query: 'oat milk', documents: [{ text: 'oat drink', image: photos[20] }, 'granite'] });
  expect(next.status).toBe(200);
  expect(((await next.json()) as any).results[0].index).toBe(0);
  expect(loads(await model('efficientnet-lite2-imagenet'))).toBeGreaterThan(before.image);
});
