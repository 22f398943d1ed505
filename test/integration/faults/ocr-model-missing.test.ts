/**
 * `rerank.ocr` on and the OCR model's files missing (held-out probe round 22a): the server started
 * green, health listed "ocr" among the warmed models, and every screenshot was recorded and scored
 * without its text — one warning line at the start said so, nothing after it. Now the warm-up says
 * which role it could not load and why, health is yellow naming it, and the rest serves. A real
 * server over a models folder that has every model of ../shared/models but PP-OCR.
 */
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRerankServer } from '../../helpers/rerank-server.js';
import { MODELS } from '../../helpers/paths.js';
import { until } from '../../helpers/until.js';

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('OCR configured, its model missing', () => {
  it('health is yellow naming OCR and why; "ocr" is not listed as warmed; reranking still answers', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlr-no-ocr-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    for (const m of readdirSync(MODELS)) if (m !== 'ppocr-v4-ch') symlinkSync(join(MODELS, m), join(dir, m));
    // a scorer machine (no engine to probe): its status is the models' alone
    const srv = await startRerankServer({ 'models.dir': dir, 'rerank.ocr': true, 'rerank.warmup': true, 'server.role': 'worker' });
    cleanups.push(() => srv.close());
    const health = async () => (await (await fetch(`${srv.url}/_vlrerank/health`)).json()) as any;
    await until(async () => (await health()).reranker?.state !== 'warming', { tries: 480, everyMs: 500, what: 'the warm-up to end' });
    const h = await health();
    expect(h.reranker.state).toBe('ready');
    expect(h.reranker.what).not.toContain('ocr');
    expect(h.reranker.unavailable.ocr).toMatch(/ppocr-v4-ch.*missing/);
    expect(h.status).toBe('yellow');
    expect(h.reasons.join(' ')).toMatch(/^ocr is configured but unavailable: model ppocr-v4-ch/);
    const r = await fetch(`${srv.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'reset the router', documents: ['reset the router first', 'bake bread'] }) });
    expect(r.status).toBe(200);
  });
});
