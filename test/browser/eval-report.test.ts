/**
 * The HTML report of `vlrerank eval` in Chromium: `vlrerank eval --api` (the rerank library, no
 * engine) on a SciFact subset — the judged abstracts of the first 12 test claims among 40 others,
 * each claim ranked against all of them — written to a file, opened from disk, checked to show the
 * JSON's figures, and screenshotted to test/artifacts/eval-report.png. SciFact is text (CC BY 4.0 /
 * ODC-By), so this screenshot may be committed, unlike the photo screenshots of the demo.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ARTIFACTS, CHROMIUM, closeChromium } from './harness.js';
import { evalCli } from '../helpers/eval-fixtures.js';
import { jsonl } from '../helpers/reranker.js';
import { DATA, MODELS } from '../helpers/paths.js';
import { ndcgAt10 } from '../helpers/scifact.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-eval-report-'));
const qrelLines = readFileSync(join(DATA, 'scifact-beir/qrels/test.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
const qids = [...new Set(qrelLines.map((r) => r[0]!))].slice(0, 12);
const judged = qrelLines.filter((r) => qids.includes(r[0]!));
const corpus = jsonl<{ _id: string; title: string; text: string }>('scifact-beir/corpus.jsonl');
const wanted = new Set(judged.map((r) => r[1]!));
const others = corpus.filter((d) => !wanted.has(d._id)).slice(0, 40);
// judged abstracts interleaved with the others, so the file order (the first stage here) is poor
const docs = [...others.slice(0, 20), ...corpus.filter((d) => wanted.has(d._id)), ...others.slice(20)];
let out: any;

beforeAll(async () => {
  writeFileSync(join(dir, 'docs.jsonl'), docs.map((d) => JSON.stringify(d)).join('\n'));
  writeFileSync(join(dir, 'qrels.tsv'), ['query-id\tcorpus-id\tscore', ...judged.map((r) => r.join('\t'))].join('\n'));
  await evalCli(['--api', '--models-dir', MODELS, '--log-level', 'silent', '--collection', join(dir, 'docs.jsonl'), '--queries', join(DATA, 'scifact-beir/queries.jsonl'), '--qrels', join(dir, 'qrels.tsv'), '--json', join(dir, 'out.json'), '--report', join(dir, 'report.html')]);
  out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('--api ranks every claim against the collection with process(), and its figures follow from the orders it recorded', () => {
  const c = out.configs[0];
  expect(c.window).toBe(docs.length);
  expect(c.queries).toBe(12);
  const rel = (id: string) => new Map(judged.filter((r) => r[0] === id).map((r) => [r[1]!, Number(r[2])]));
  const runs = out.runs[0].queries;
  expect(runs.map((q: any) => q.id)).toEqual(qids);
  expect(c.reranked.ndcg10).toBeCloseTo(runs.reduce((s: number, q: any) => s + ndcgAt10(q.reranked, rel(q.id)), 0) / 12, 4);
  expect(c.first.ndcg10).toBeCloseTo(runs.reduce((s: number, q: any) => s + ndcgAt10(q.first, rel(q.id)), 0) / 12, 4);
  // the first stage is the file order, where judged abstracts start at #21: reranking must lift them
  expect(c.first.ndcg10).toBe(0);
  expect(c.reranked.ndcg10).toBeGreaterThan(0.5);
  expect(c.latency.inference_ms.n).toBe(12);
});

it('opens in Chromium from disk, shows the figures, the chart and the wins, and is screenshotted', async () => {
  const profile = mkdtempSync(join(tmpdir(), 'vlr-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    const c = out.configs[0];
    await expect.poll(() => page.locator('#summary [data-metric="ndcg10-reranked"]').first().textContent(), { timeout: 30_000 }).toBe(c.reranked.ndcg10.toFixed(3));
    expect(await page.locator('#summary [data-metric="ndcg10-first"]').first().textContent()).toBe(c.first.ndcg10.toFixed(3));
    expect(await page.locator('#quality-chart circle').count()).toBe(2);
    expect(await page.locator('svg.latency rect').count()).toBeGreaterThan(0);
    expect(await page.locator('#wins tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#wins').textContent()).toContain(out.perQuery.find((q: any) => q.delta > 0).query.text.slice(0, 40));
    // self-contained: the page fetched nothing but itself
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'eval-report.png'), fullPage: true });
    // on a phone the wide tables scroll inside themselves and the charts shrink: the page itself
    // does not scroll sideways (held-out probe round 12c: 1,239 px at a 360 px screen)
    await page.setViewportSize({ width: 360, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(ARTIFACTS, 'eval-report-360.png'), fullPage: false });
  } finally {
    await closeChromium(context, profile);
  }
});
