/**
 * Held-out probe round 12d: remote rerank workers that misbehave. The front is a real vlrerank
 * (`backend: remote`), a worker that behaves is a real `vlrerank serve --role worker`, and each
 * misbehaviour a real worker cannot produce is a small server named after it
 * (test/helpers/remote-worker-faults.ts). A worker's wrong answer is a worker fault, failed over to
 * the next worker — never a ranking shown as reranked; an answer is read within a bound; a refusal
 * says which setting to check and never repeats the API key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { spawnRerankProcess, startRerankServer } from '../../helpers/rerank-server.js';
import { startFaultWorker, type FaultName, type FaultWorker } from '../../helpers/remote-worker-faults.js';

let worker: Awaited<ReturnType<typeof spawnRerankProcess>>;
const cleanups: Array<() => Promise<unknown>> = [];
const KEY = 'p12d-secret-key-0123456789';
const DOCS = ['a rocket on the launch pad', 'a cup of coffee', 'espresso beans'];

beforeAll(async () => {
  worker = await spawnRerankProcess({ role: 'worker', mediaRoots: false });
}, 180_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await worker?.stop();
});

async function front(urls: string[]): Promise<RunningServer> {
  const srv = await startRerankServer({ 'rerank.warmup': false, 'rerank.remote.urls': urls, 'rerank.remote.apiKey': KEY, 'rerank.remote.timeoutMs': 60_000 });
  cleanups.push(() => srv.close());
  return srv;
}
async function fault(name: FaultName): Promise<FaultWorker> {
  const w = await startFaultWorker(name);
  cleanups.push(() => w.close());
  return w;
}
async function rerank(srv: RunningServer, documents: unknown[] = DOCS): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'coffee', documents, backend: 'remote', explain: true }) });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}
const order = (j: any) => j.results.map((r: any) => r.index);

it('a worker answering raw logits (outside [0, 1]) is ranked by them, not tied at the clamp and left in the order sent', async () => {
  const w = await fault('worker-answers-logits');
  const r = await rerank(await front([w.url]), [...DOCS, 'a teapot']);
  expect(r.status, r.text).toBe(200);
  expect(order(r.json)).toEqual([1, 2, 3, 0]);
  const s = r.json.results.map((x: any) => x.score);
  for (let i = 1; i < s.length; i++) expect(s[i - 1]).toBeGreaterThan(s[i]);
});

it.each([
  ['worker-answers-infinity', /document 0 with Infinity, not a finite number/],
  ['worker-index-out-of-range', /answered index 3, not one of the 3 documents/],
  ['worker-repeats-an-index', /scored document 0 twice/],
  ['worker-answers-null-results', /without a `results` array/],
  ['worker-answers-string-scores', /document 0 with "0.5", not a finite number/],
  ['worker-answers-10-MiB', /answer larger than \d+ bytes/],
] as const)('%s: refused as a worker fault that says what is wrong, and failed over to a worker that behaves', async (name, reason) => {
  const w = await fault(name);
  const alone = await rerank(await front([w.url]));
  expect(alone.status, alone.text).toBe(502);
  expect(alone.json.error.reason).toMatch(reason);
  // beside a real worker: every answer is the real worker's, whichever is tried first
  const srv = await front([w.url, worker.url]);
  for (let i = 0; i < 2; i++) {
    const r = await rerank(srv);
    expect(r.status, r.text).toBe(200);
    for (const x of r.json.results) expect(x.explanation.signals[0].detail.worker).toBe(worker.url);
  }
  expect(w.calls).toBeGreaterThanOrEqual(2);
});

it('a gzipped answer nobody asked for is read', async () => {
  const w = await fault('worker-answers-gzip');
  const r = await rerank(await front([w.url]));
  expect(r.status, r.text).toBe(200);
  expect(order(r.json)).toEqual([2, 1, 0]);
});

it('a 401 says to check rerank.remote.apiKey and never repeats the key a worker echoes', async () => {
  const w = await fault('worker-401-echoes-the-key');
  const r = await rerank(await front([w.url]));
  expect(r.status, r.text).toBe(502);
  expect(r.json.error.reason).toMatch(/answered 401 — is rerank\.remote\.apiKey the key this worker expects\?/);
  expect(r.text).not.toContain(KEY);
});

it('a URL whose path has no rerank endpoint (a real worker answering 404) says how rerank.remote.urls is read', async () => {
  const r = await rerank(await front([`${worker.url}/rerankers`]));
  expect(r.status, r.text).toBe(502);
  expect(r.json.error.reason).toMatch(/answered 404 — no rerank endpoint at \/rerankers\/v1\/rerank: give rerank\.remote\.urls as the server's base URL or its full …\/v1\/rerank URL/);
});

it("a 429's Retry-After keeps the worker out that long: calls go to the other worker, not back to it", async () => {
  const w = await fault('worker-429-retry-after');
  const srv = await front([w.url, worker.url]);
  for (let i = 0; i < 6; i++) {
    const r = await rerank(srv);
    expect(r.status, r.text).toBe(200);
  }
  // once asked to wait 120 s (kept to the 60 s longest cool-down), it is not called again
  expect(w.calls).toBe(1);
});

it('a document whose photo cannot be sent (outside the media roots, missing) goes on its text with its error, as the local backend ranks it — not a 403 for the whole call', async () => {
  const srv = await front([worker.url]);
  const r = await rerank(srv, [{ text: 'a rocket', image: '/etc/passwd' }, 'a cup of coffee', { text: 'espresso beans', image: 'skimage-clip-smoke/images/no-such-photo.png' }]);
  expect(r.status, r.text).toBe(200);
  expect(r.json.results.map((x: any) => x.index).sort()).toEqual([0, 1, 2]);
  expect(r.json.results[0].index).toBe(1);
  expect(r.json.errors.map((e: any) => [e.index, e.code])).toEqual([
    [0, 'VLR_MEDIA_FORBIDDEN'],
    [2, 'VLR_NOT_FOUND'],
  ]);
  expect(r.json.errors[0].reason).toMatch(/^\[documents\[0\]\.image\] /);
  expect(r.text).not.toMatch(/root:x:0/);
});

it('every worker asking for time (429 + Retry-After) is a 503 with Retry-After, not a 502 to retry at once; the next call waits without asking it again', async () => {
  const w = await fault('worker-429-retry-after');
  const srv = await front([w.url]);
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'coffee', documents: DOCS, backend: 'remote' }) });
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(body.error.reason).toMatch(i === 0 ? /asked for time/ : /every circuit breaker is open/);
  }
  expect(w.calls).toBe(1);
});

it("a worker's 413 (one inlined photo too big for its body limit) sends that document alone on its text with its error, the rest scored by the worker — not a failed call", { timeout: 180_000 }, async () => {
  // a real worker whose body limit (server.maxJsonBodyBytes) takes a small photo but not a large one
  const dir = mkdtempSync(join(tmpdir(), 'vlr-w3b-'));
  writeFileSync(join(dir, 'worker.yaml'), 'server:\n  maxJsonBodyBytes: 100000\n');
  const small = await spawnRerankProcess({ role: 'worker', mediaRoots: false, env: { VLRERANK_CONFIG: join(dir, 'worker.yaml') } });
  cleanups.push(async () => {
    await small.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const srv = await front([small.url]);
  const docs = [{ text: 'a horse', image: 'skimage-clip-smoke/images/horse.png' }, { text: 'a motorcycle', image: 'skimage-clip-smoke/images/motorcycle_right.png' }, 'a cup of coffee'];
  const r = await rerank(srv, docs);
  expect(r.status, r.text).toBe(200);
  expect(r.json.results.map((x: any) => x.index).sort()).toEqual([0, 1, 2]);
  expect(r.json.results[0].index).toBe(2);
  for (const x of r.json.results) expect(x.explanation.signals[0].detail.worker).toBe(small.url);
  expect(r.json.errors.map((e: any) => [e.index, e.code])).toEqual([[1, 'VLR_MEDIA_TOO_LARGE']]);
  expect(r.json.errors[0].reason).toMatch(/^\[documents\[1\]\.image\] ranked on its text: .*answered 413/);
  // every photo too large for it: one retry only, then the call fails with the hint
  const big = await rerank(srv, [docs[1], { text: 'a red motorcycle', image: 'skimage-clip-smoke/images/motorcycle_right.png' }]);
  expect(big.status, big.text).toBe(502);
  expect(big.json.error.reason).toMatch(/answered 413 — the request was too large for it/);
});

it('a 401 from one worker (URL credentials differ per worker) is tried on the next; when every worker refuses, each refusal is named', async () => {
  const a = await fault('worker-401-echoes-the-key');
  const b = await fault('worker-401-echoes-the-key');
  const withCredentials = (u: string, pass: string) => u.replace('http://', `http://gpu:${pass}@`);
  const start = async (urls: string[]) => {
    const srv = await startRerankServer({ 'rerank.warmup': false, 'rerank.remote.urls': urls, 'rerank.remote.timeoutMs': 60_000 });
    cleanups.push(() => srv.close());
    return srv;
  };
  const srv = await start([withCredentials(a.url, 'wrong-pass-4455'), withCredentials(worker.url, 'right-pass-6677')]);
  for (let i = 0; i < 2; i++) {
    const r = await rerank(srv);
    expect(r.status, r.text).toBe(200);
    for (const x of r.json.results) expect(x.explanation.signals[0].detail.worker).toBe(worker.url);
  }
  expect(a.calls).toBeGreaterThanOrEqual(1);
  const none = await rerank(await start([withCredentials(a.url, 'wrong-pass-4455'), withCredentials(b.url, 'wrong-pass-8899')]));
  expect(none.status, none.text).toBe(502);
  expect(none.json.error.reason).toMatch(/all 2 remote rerank workers tried failed/);
  for (const w of [a, b]) expect(none.json.error.reason).toContain(`${w.url} answered 401 — is rerank.remote.apiKey the key this worker expects?`);
  expect(none.text).not.toMatch(/wrong-pass/);
});
