/**
 * `vlrerank eval` through the proxy, as users run it: 20 COCO-mini photos with their alt-text
 * captions indexed on the real Elasticsearch 8.19 behind a vlrerank, the CLI spawned with `--url`,
 * and its JSON checked against figures computed here, independently, from the same searches sent
 * with the official client (nDCG@10 by the repo's own helper). Then the HTML report: self-contained,
 * with the figures and inlined thumbnails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ndcgAt10 } from '../../helpers/search-eval.js';
import { clientSearch, type SearchProxy } from '../../helpers/search-fixtures.js';
import { cocoEvalFiles, cocoProxy, evalCli, evalPipelinesDir } from '../../helpers/eval-fixtures.js';
import { DATA, MODELS } from '../../helpers/paths.js';

const INDEX = 'eval-coco-it';
const N = 20;
const WINDOWS = [10, 20];
let p: SearchProxy;
const files = cocoEvalFiles(N);
let out: any;
let html: string;

beforeAll(async () => {
  p = await cocoProxy(INDEX, N);
  await p.reranker.warmup();
  const json = join(files.dir, 'out.json');
  const report = join(files.dir, 'report.html');
  const { stdout } = await evalCli(['--url', p.url, '--index', INDEX, '--queries', files.queries, '--qrels', files.qrels, '--window', WINDOWS.join(','), '--json', json, '--report', report]);
  expect(stdout).toContain('nDCG@10   first stage');
  out = JSON.parse(readFileSync(json, 'utf8'));
  html = readFileSync(report, 'utf8');
}, 600_000);

afterAll(async () => {
  await p?.close();
});

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('vlrerank eval --url on COCO-mini (Elasticsearch 8.19)', () => {
  it('reports, per window, the figures the same searches give when computed directly', async () => {
    expect(out.configs.map((c: any) => c.window)).toEqual(WINDOWS);
    for (const window of WINDOWS) {
      const first: number[] = [];
      const reranked: number[] = [];
      const mrr: number[] = [];
      const recall10: number[] = [];
      for (const [id, text] of files.texts) {
        const body = await clientSearch('elasticsearch', p.url, { index: INDEX, body: { size: window, _source: false, ext: { vlrerank: { query: { text }, window, explain: true } } } });
        const ids: string[] = body.hits.hits.map((h: any) => String(h._id));
        const byFirst = [...body.hits.hits].sort((a: any, b: any) => a._vlrerank.first_stage_rank - b._vlrerank.first_stage_rank).map((h: any) => String(h._id));
        const rel = new Map([[id, 1]]);
        first.push(ndcgAt10(byFirst, rel));
        reranked.push(ndcgAt10(ids, rel));
        const at = ids.slice(0, 10).indexOf(id);
        mrr.push(at < 0 ? 0 : 1 / (at + 1));
        recall10.push(at < 0 ? 0 : 1);
      }
      const c = out.configs.find((x: any) => x.window === window);
      expect(c.queries).toBe(N);
      expect(c.judged).toBe(N);
      expect(c.degraded).toBe(0);
      expect(c.first.ndcg10).toBeCloseTo(mean(first), 4);
      expect(c.reranked.ndcg10).toBeCloseTo(mean(reranked), 4);
      expect(c.reranked.mrr10).toBeCloseTo(mean(mrr), 4);
      expect(c.reranked.recall10).toBeCloseTo(mean(recall10), 4);
    }
  });

  it('reports latency per stage from the responses, wall time, and the feature-cache counts', () => {
    const c = out.configs[0];
    for (const stage of ['first_stage_ms', 'rerank_ms', 'total_ms', 'wall_ms']) expect(c.latency[stage]?.n, stage).toBe(N);
    expect(c.latency.total_ms.p50).toBeGreaterThan(0);
    // every reranked hit says where its features came from: the index's records (this index keeps them), a cache or computed
    const counted = Object.entries(c.featureSources).filter(([k]) => /^(text|image|video):/.test(k)).reduce((a, [, v]) => a + Number(v), 0);
    expect(counted).toBeGreaterThan(0);
    expect(out.runs[0].queries[0].first).toHaveLength(10);
    expect(out.perQuery).toHaveLength(N);
  });

  it('writes a self-contained HTML report holding the figures and inlined thumbnails', () => {
    expect(html).not.toMatch(/<script|<link|(src|href)=["']?(https?:)?\/\//i);
    for (const c of out.configs) {
      expect(html).toContain(`<td data-metric="ndcg10-reranked">${c.reranked.ndcg10.toFixed(3)}</td>`);
      expect(html).toContain(`<td data-metric="ndcg10-first">${c.first.ndcg10.toFixed(3)}</td>`);
    }
    expect(html).toContain('<svg id="quality-chart"');
    const shown = (html.match(/<tr>/g) ?? []).length;
    if (shown) expect(html).toMatch(/<img src="data:image\/jpeg;base64,[A-Za-z0-9+/=]{200,}"/);
  });

  it('says what went wrong, with exit 2 for a missing index and a bad window, 69 (service unavailable) for an unreachable proxy', { timeout: 600_000 }, async () => {
    await expect(evalCli(['--url', p.url, '--index', 'eval-coco-missing', '--queries', files.queries, '--window', '10'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/answered 404: no such index \[eval-coco-missing\]/) });
    await expect(evalCli(['--url', p.url, '--index', INDEX, '--queries', files.queries, '--window', '10,abc'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--window must be a positive integer') });
    await expect(evalCli(['--url', p.url, '--index', INDEX, '--queries', files.queries, '--window', '1000'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/answered 400: .*exceeds the maximum \[239\]/) });
    await expect(evalCli(['--url', 'http://127.0.0.1:1', '--index', INDEX, '--queries', files.queries])).rejects.toMatchObject({ code: 69, stderr: expect.stringContaining('cannot reach http://127.0.0.1:1') });
    await expect(evalCli(['--url', p.url, '--queries', files.queries])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--index') });
  });

  it('without --url starts its own server from the configuration, on the same engine and pipeline', { timeout: 600_000 }, async () => {
    const json = join(files.dir, 'in-process.json');
    const { stdout } = await evalCli(['--upstream', p.engineUrl, '--models-dir', MODELS, '--index', INDEX, '--queries', files.queries, '--qrels', files.qrels, '--limit', '3', '--window', '10', '--json', json], {
      VLRERANK_PIPELINES_DIR: evalPipelinesDir(),
      VLRERANK_MEDIA_ROOTS: DATA,
    });
    expect(stdout).toContain(`in-process (upstream ${p.engineUrl})`);
    const own = JSON.parse(readFileSync(json, 'utf8'));
    const viaUrl = out.runs.find((r: any) => r.window === 10).queries.slice(0, 3);
    expect(own.runs[0].queries.map((q: any) => q.id)).toEqual(viaUrl.map((q: any) => q.id));
    own.runs[0].queries.forEach((q: any, i: number) => {
      // the first stage is the engine's (same query vector, same pipeline): identical; the rerank reorders that window
      expect(q.first).toEqual(viaUrl[i].first);
      expect([...q.reranked].sort()).toEqual([...q.first].sort());
    });
    expect(own.configs[0].degraded).toBe(0);
  });
});
