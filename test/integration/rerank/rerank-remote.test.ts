/**
 * The remote backend for real: a second vlrerank process (`vlrerank serve --role worker`, started
 * here, with no media roots: it cannot read this machine's disk, as a GPU box could not) acts as
 * the worker behind `/v1/rerank`; this server lists a dead worker first, so every call also
 * exercises the failover to another worker. Multimodal documents travel as OpenAI-style content
 * parts with local files inlined as data: URIs; the instruction is passed through and reported as
 * used only when the worker confirms it; remote scores are one calibrated signal.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { spawnRerankProcess, startRerankServer } from '../../helpers/rerank-server.js';

let worker: Awaited<ReturnType<typeof spawnRerankProcess>>;
let srv: RunningServer;
const sk = (n: string) => `skimage-clip-smoke/images/${n}.${n === 'rocket' ? 'jpg' : 'png'}`;

beforeAll(async () => {
  worker = await spawnRerankProcess({ role: 'worker', mediaRoots: false });
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
  // the worker is a vlrerank whose local signals take no instruction: it says so (meta.instruction_used false)
  expect(out.instruction).toMatchObject({ given: true, used: false });
  expect(out.instruction.note).toMatch(/did not say it used it/);
  // nothing ran here: the tokens are the worker's own usage.total_tokens — at least the query
  // (bge's 8-token query prefix + 4 + [CLS]/[SEP]) and "a rocket" (2 + 2), new to that fresh process
  expect(out.usage.tokens).toBeGreaterThanOrEqual(14 + 4);
});

it('local photos reach a worker that cannot read this disk as data: URIs, scored as the image itself', { timeout: 180_000 }, async () => {
  // the worker has no media roots: a path would be refused there; the remote signal would then fail
  const out = await rerank({ query: 'a rocket launching', documents: [{ image: sk('coffee') }, { image: sk('rocket') }], backend: 'remote', explain: true });
  expect(out.errors ?? []).toEqual([]);
  expect(out.results[0].index).toBe(1);
  // the same photo sent to the worker directly, as a data: URI of the shrunk JPEG, scores within JPEG noise
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { DATA } = await import('../../helpers/paths.js');
  const sharp = (await import('sharp')).default;
  const jpeg = await sharp(readFileSync(join(DATA, sk('rocket')))).rotate().resize({ width: 1024, height: 1024, fit: 'inside', withoutEnlargement: true }).flatten({ background: '#ffffff' }).jpeg({ quality: 90 }).toBuffer();
  const direct = await fetch(`${worker.url}/v1/rerank`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'a rocket launching', documents: [{ content: [{ type: 'image_url', image_url: { url: `data:image/jpeg;base64,${jpeg.toString('base64')}` } }] }] }),
  });
  const dj = (await direct.json()) as { results: Array<{ relevance_score: number }> };
  const remoteRaw = out.results[0].explanation.signals[0].raw;
  expect(remoteRaw).toBeCloseTo(dj.results[0]!.relevance_score, 5);
});

it('the worker refuses a local path itself (what the sender must never send)', async () => {
  const res = await fetch(`${worker.url}/v1/rerank`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'x', documents: [{ content: [{ type: 'image_url', image_url: { url: sk('rocket') } }] }], return_documents: false }),
  });
  const j = (await res.json()) as { results: Array<{ relevance_score: number }>; usage: { images: number } };
  // the local path could not be read there: no image was scored
  expect(j.usage.images).toBe(0);
  expect(j.results[0]!.relevance_score).toBe(0);
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
