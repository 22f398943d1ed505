/**
 * The property-based HTTP fuzz (scripts/fuzz/http-fuzz.ts) on a short budget: generated requests
 * to the rerank APIs, `/_vlrerank/*` and `_search`/`_msearch` bodies with rerank blocks, each
 * answered (no hang), as JSON, in its endpoint's error shape when an error, never a 500 nor an
 * undocumented 5xx. `npm run fuzz -- --runs N` runs the same at length. Real Elasticsearch, real
 * models and data.
 */
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
