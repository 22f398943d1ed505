/**
 * The property-based HTTP fuzz (scripts/fuzz/http-fuzz.ts) on a short budget: generated requests
 * to the rerank APIs, `/_vlrerank/*`, `_search`/`_msearch` bodies with rerank blocks and writes
 * (`_bulk`, `_doc`, `_create`, `_update`) into an index that adds vectors and records at ingest, each
 * answered (no hang), as JSON, in its endpoint's error shape when an error, never a 500 nor an
 * undocumented 5xx. `npm run fuzz -- --runs N` runs the same at length. Real Elasticsearch, real
 * models and data.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runFuzz } from '../../../scripts/fuzz/http-fuzz.js';
import { startFuzzTarget, type FuzzTarget } from '../../../scripts/fuzz/setup.js';
import { useEngine } from '../../helpers/engines.js';
import { SHARED } from '../../helpers/paths.js';

let target: FuzzTarget;

beforeAll(async () => {
  target = await startFuzzTarget(await useEngine('elasticsearch'), SHARED);
});
afterAll(async () => {
  await target?.close();
});

it('200 generated requests: every answer shaped, no 500, no hang', async () => {
  const report = await runFuzz(target.srv.url, target.ctx, { runs: 200, timeoutMs: 60_000 });
  expect(report.failures, JSON.stringify(report.failures.slice(0, 3), null, 1)).toEqual([]);
  expect(report.requests).toBe(200);
  // the generators reach past validation too (some reranks succeed), not only the error paths
  expect(report.statuses['200'] ?? 0).toBeGreaterThan(0);
  expect(Object.keys(report.statuses).some((s) => s.startsWith('4'))).toBe(true);
});

it('60 generated writes: every answer shaped, and each document a write stored reads back with its text', async () => {
  const report = await runFuzz(target.srv.url, target.ctx, { runs: 60, timeoutMs: 60_000, only: 'writes' });
  expect(report.failures, JSON.stringify(report.failures.slice(0, 3), null, 1)).toEqual([]);
  // the generators reach stored documents (about one write in nine is read back), not only refusals
  expect(report.readBacks).toBeGreaterThan(0);
});

it('the oracle flags what it must (an unshaped error, a 500, a body that is not JSON)', async () => {
  const { checkAnswer } = await import('../../../scripts/fuzz/http-fuzz.js');
  const compat = { method: 'POST', path: '/v1/rerank', headers: {}, shape: 'compat' as const, label: '' };
  const es = { ...compat, path: '/_vlrerank/rerank', shape: 'es' as const };
  const esErr = JSON.stringify({ error: { type: 'x', reason: 'y' }, status: 400 });
  expect(checkAnswer(compat, { status: 400, headers: {}, text: esErr })).toMatch(/rerank API/);
  expect(checkAnswer(es, { status: 400, headers: {}, text: esErr })).toBeUndefined();
  expect(checkAnswer(es, { status: 500, headers: {}, text: JSON.stringify({ error: { type: 'x', reason: 'y', vlrerank_code: 'VLR_INTERNAL' }, status: 500 }) })).toMatch(/500/);
  expect(checkAnswer(es, { status: 502, headers: {}, text: JSON.stringify({ error: { type: 'x', reason: 'y', vlrerank_code: 'VLR_UPSTREAM_UNREACHABLE' }, status: 502 }) })).toBeUndefined();
  expect(checkAnswer(es, { status: 200, headers: {}, text: '<html>' })).toMatch(/not JSON/);
});

it('the read-back flags a document a 2xx write did not store (a fake engine that lost it)', async () => {
  const { readBackProblem } = await import('../../../scripts/fuzz/http-fuzz.js');
  // the fault, on demand: a server whose documents read back with another text, or not at all
  const lost = createServer((req, res) => {
    res.writeHead(req.url?.includes('gone') ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.url?.includes('gone') ? { found: false } : { _source: { title: 'another text' } }));
  });
  await new Promise<void>((r) => lost.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(lost.address() as AddressInfo).port}`;
    const report = { requests: 0, statuses: {}, failures: [], readBacks: 0, ms: 0 };
    const put = (id: string, item?: number) => ({ method: 'PUT', path: '/w/_doc/x', headers: {}, shape: 'es' as const, label: '', readBack: [{ index: 'w', id, title: 'oat drink', item }] });
    expect(await readBackProblem(url, put('kept'), { status: 201, headers: {}, text: '{}' }, 5_000, report)).toMatch(/read back 200 with title "another text"/);
    expect(await readBackProblem(url, put('gone'), { status: 200, headers: {}, text: '{}' }, 5_000, report)).toMatch(/read back 404/);
    // a refused write, or a _bulk item refused, is not read back
    expect(await readBackProblem(url, put('kept'), { status: 409, headers: {}, text: '{}' }, 5_000, report)).toBeUndefined();
    expect(await readBackProblem(url, put('kept', 0), { status: 200, headers: {}, text: JSON.stringify({ items: [{ index: { status: 400 } }] }) }, 5_000, report)).toBeUndefined();
    expect(await readBackProblem(url, put('kept', 0), { status: 200, headers: {}, text: JSON.stringify({ items: [{ index: { status: 201 } }] }) }, 5_000, report)).toMatch(/another text/);
    expect(report.readBacks).toBe(3);
  } finally {
    lost.close();
  }
});
