/**
 * The remote backend for real: a second vlrerank process (`vlrerank serve`, started here) acts as
 * the GPU worker behind `/v1/rerank`; this server lists a dead worker first, so every call also
 * exercises the retry on another worker. Multimodal documents travel as OpenAI-style content parts;
 * the instruction is passed through and reported as used; remote scores are one calibrated signal.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { spawnRerankProcess, startRerankServer } from '../../helpers/rerank-server.js';

let worker: Awaited<ReturnType<typeof spawnRerankProcess>>;
let srv: RunningServer;
const sk = (n: string) => `skimage-clip-smoke/images/${n}.${n === 'rocket' ? 'jpg' : 'png'}`;

beforeAll(async () => {
  worker = await spawnRerankProcess();
  srv = await startRerankServer({ 'rerank.remote.urls': ['http://127.0.0.1:9', worker.url], 'rerank.remote.timeoutMs': 60_000 });
}, 180_000);
afterAll(async () => {
  await srv?.close();
  await worker?.stop();
});

async function rerank(body: unknown): Promise<any> {
  const res = await fetch(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}

it('scores through the remote worker only (backend: remote), retrying past a dead worker', { timeout: 180_000 }, async () => {
  const out = await rerank({
    query: 'a cup of coffee',
    documents: ['a rocket', { image: sk('coffee') }, { text: 'espresso', image: sk('coffee') }],
    backend: 'remote',
    instruction: 'Given a query, find matching pictures.',
    explain: true,
  });
  expect([1, 2]).toContain(out.results[0].index);
  for (const r of out.results) {
    expect(r.explanation.signals.map((s: any) => s.name)).toEqual(['remote']);
    expect(r.explanation.signals[0].detail.worker).toBe(worker.url);
  }
  expect(out.instruction).toMatchObject({ given: true, used: true, by: ['remote'] });
});

it('backend both: the remote score is one calibrated signal next to the local ones', { timeout: 180_000 }, async () => {
  const out = await rerank({ query: 'a cup of coffee', documents: [{ image: sk('coffee') }, { image: sk('rocket') }], backend: 'both', explain: true });
  expect(out.results[0].index).toBe(0);
  const names = out.results[0].explanation.signals.map((s: any) => s.name).sort();
  expect(names).toEqual(['remote', 'text_image']);
  const remote = out.results[0].explanation.signals.find((s: any) => s.name === 'remote');
  // the worker is a vlrerank: its score is already a probability, calibrated as identity
  expect(remote.calibrated).toBeCloseTo(remote.raw, 5);
});

it('remote without workers configured is a 400 naming backend', async () => {
  const res = await fetch(`${worker.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'x', documents: ['y'], backend: 'remote' }) });
  expect(res.status).toBe(400);
  expect((await res.json()).error.reason).toContain('[backend]');
});
