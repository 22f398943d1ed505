/**
 * `vlrerank eval --fit` chooses a hybrid first stage's `first_stage.knn_boost` (issue 14 §2, quality
 * round 20): each boost of the grid is its own first-stage run through the proxy
 * (`ext.vlrerank.knn_boost`), every (boost, window) is fitted by the same k-fold cross-validation,
 * and the snippet carries the boost with the best held-out figure. Real Elasticsearch 8.19, the real
 * models, slices of two public sets, the CLI spawned with `--url` as users run it:
 *  - COCO-mini (captions #2 → their photo), the pipeline at boost 1: BM25 on one-line alt texts
 *    crowds the photo out of the window, so a higher boost must come out;
 *  - Grocery (product names → the product 2 / same kind 1), the pipeline at boost 20: the bridge is
 *    weak on catalog shots (recall@50 0.988 → 0.852 at 20, models/CALIBRATION.md), so a low one must.
 * Each boost's recall of the window is checked against the proxy's own searches at that boost, and
 * the snippet, set into the pipeline, loads and serves with the chosen boost. A first stage with no
 * kNN beside the text query (BM25 alone) is fitted as before, and a `--knn-boost` given is said unused.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../src/pipelines/index.js';
import { coco, ensureCoco } from '../../helpers/search-eval.js';
import { catalog, clientSearch, clientSearchRaw, ensureGrocery, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { evalCli } from '../../helpers/eval-fixtures.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const COCO_INDEX = 'q20-fitboost-coco';
const GROCERY_INDEX = 'q20-fitboost-grocery';
const N_COCO = 60;
const WINDOW = 10;
const BOOSTS = '1,2,5,20';

/** A shipped pipeline under another name, covering `pattern`, at `knnBoost` (`bm25`: its first stage BM25 alone). */
function shipped(file: string, name: string, pattern: string, knnBoost: number | 'bm25'): string {
  const doc = parseYaml(readFileSync(join(REPO_ROOT, 'pipelines', file), 'utf8'));
  doc.name = name;
  doc.index_patterns = [pattern];
  doc.budget_ms = 300_000;
  if (knnBoost === 'bm25') doc.first_stage.text_query = 'bm25';
  else doc.first_stage.knn_boost = knnBoost;
  parsePipeline(doc, `${name}.yaml`);
  return stringify(doc);
}

/** The pipeline with the snippet's `scorer` / `first_stage` / `window` keys set (as its header says to), under another name. */
function withSnippet(yaml: string, name: string, snippet: any): string {
  const doc = parseYaml(yaml);
  doc.name = name;
  doc.index_patterns = [`${name}-none`];
  doc.scorer = { ...doc.scorer, ...snippet.scorer };
  if (snippet.scorer.fusion !== 'raw') delete doc.scorer.raw_logistic;
  doc.first_stage = { ...doc.first_stage, ...snippet.first_stage };
  parsePipeline(doc, `${name}.yaml`);
  return stringify(doc);
}

const PIPES = {
  'q20fit-coco.yaml': shipped('coco.yaml', 'q20fit-coco', `${COCO_INDEX}*`, 1),
  'q20fit-grocery.yaml': shipped('grocery.yaml', 'q20fit-grocery', `${GROCERY_INDEX}*`, 20),
  // named with --pipeline only
  'q20fit-coco-bm25.yaml': shipped('coco.yaml', 'q20fit-coco-bm25', 'q20fit-coco-bm25-none', 'bm25'),
};

function files(name: string, rows: Array<{ id: string; text: string; rel: Map<string, number> }>) {
  const dir = mkdtempSync(join(tmpdir(), `vlr-fitboost-${name}-`));
  writeFileSync(join(dir, 'queries.jsonl'), rows.map((r) => JSON.stringify({ _id: r.id, text: r.text })).join('\n') + '\n');
  writeFileSync(join(dir, 'qrels.tsv'), ['query-id\tcorpus-id\tscore', ...rows.flatMap((r) => [...r.rel].map(([d, g]) => `${r.id}\t${d}\t${g}`))].join('\n') + '\n');
  return { dir, queries: join(dir, 'queries.jsonl'), qrels: join(dir, 'qrels.tsv'), rows };
}

// COCO: caption #2 of each of the first N photos → that photo
const cocoFiles = files('coco', coco.slice(0, N_COCO).map((r) => ({ id: String(r.coco_id), text: r.captions[1]!, rel: new Map([[String(r.coco_id), 1]]) })));
// Grocery: each product's name in words → the product (2), the others of its kind (1)
const groceryFiles = files('grocery', catalog.map((c) => ({
  id: `p${c.class_id}`,
  text: c.class_name.replace(/-/g, ' ').toLowerCase(),
  rel: new Map(catalog.filter((o) => o.coarse_class_id === c.coarse_class_id).map((o) => [String(o.class_id), o.class_id === c.class_id ? 2 : 1])),
})));

let p: SearchProxy;
let served: SearchProxy | undefined;
const fits: Record<'coco' | 'grocery', { out: any; snippet: any; stdout: string }> = {} as any;

async function fit(set: 'coco' | 'grocery', index: string, f: ReturnType<typeof files>) {
  const json = join(f.dir, 'fit.json');
  const snippetFile = join(f.dir, 'fitted.yaml');
  const { stdout } = await evalCli(['--url', p.url, '--index', index, '--queries', f.queries, '--qrels', f.qrels, '--window', String(WINDOW), '--fit', '--knn-boost', BOOSTS, '--json', json, '--snippet', snippetFile]);
  fits[set] = { out: JSON.parse(readFileSync(json, 'utf8')), snippet: parseYaml(readFileSync(snippetFile, 'utf8')), stdout };
}

/** Mean share of each query's relevant documents in the window the proxy's first stage returns at `knnBoost` (undefined: the pipeline's). */
async function recallThrough(url: string, index: string, f: ReturnType<typeof files>, knnBoost?: number, pipeline?: string): Promise<{ recall: number; reported: Set<unknown> }> {
  let sum = 0;
  const reported = new Set<unknown>();
  for (const r of f.rows) {
    const body = await clientSearch('elasticsearch', url, { index, body: { size: WINDOW, _source: false, ext: { vlrerank: { query: { text: r.text }, window: WINDOW, ...(knnBoost !== undefined ? { knn_boost: knnBoost } : {}), ...(pipeline ? { pipeline } : {}) } } } });
    reported.add(body.vlrerank.knn_boost);
    const got = new Set(body.hits.hits.map((h: any) => String(h._id)));
    const rel = [...r.rel].filter(([, g]) => g > 0).map(([d]) => d);
    sum += rel.filter((d) => got.has(d)).length / rel.length;
  }
  return { recall: sum / f.rows.length, reported };
}

beforeAll(async () => {
  p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelinesDir(PIPES) });
  await ensureCoco(p, 'elasticsearch', COCO_INDEX, N_COCO);
  await ensureGrocery(p, 'elasticsearch', GROCERY_INDEX);
  await p.reranker.warmup();
  await fit('coco', COCO_INDEX, cocoFiles);
  await fit('grocery', GROCERY_INDEX, groceryFiles);
}, 900_000);

afterAll(async () => {
  await served?.close();
  await p?.close();
});

describe('vlrerank eval --fit chooses a hybrid first stage\'s knn_boost (Elasticsearch 8.19)', { timeout: 600_000 }, () => {
  it('tries every boost of the grid and the pipeline\'s own, each held out over the same folds, and reports recall and nDCG@10 per boost', () => {
    for (const [set, own] of [['coco', 1], ['grocery', 20]] as const) {
      const { out, stdout } = fits[set];
      expect(out.pipelineKnnBoost, set).toBe(own);
      expect(out.knnBoosts.map((r: any) => r.knnBoost), set).toEqual([own, ...[1, 2, 5, 20].filter((b) => b !== own)]);
      expect(stdout, set).toContain('hybrid first stage: the bridge kNN\'s boost');
      expect(stdout, set).toMatch(/nested cross-validation\): held-out nDCG@10 \d\.\d{3}/);
      // the snippet's boost is the one with the best held-out figure (the pipeline's own on a tie)
      const best = out.knnBoosts.reduce((a: any, b: any) => (b.fitted > a.fitted + 1e-9 ? b : a));
      expect(out.knnBoost, set).toBe(best.knnBoost);
      expect(out.heldOut.mean.fitted, set).toBeCloseTo(best.fitted, 12);
      expect(fits[set].snippet.first_stage.knn_boost, set).toBe(out.knnBoost);
      // each outer fold chose a boost on its training queries only
      for (const f of out.windowChoice.nested.folds) expect([1, 2, 5, 20]).toContain(f.knnBoost);
    }
  });

  // COCO: boosting brings photos into the window and a high boost must come out; Grocery: it drops
  // products from the window and a low one must (each compared with the other end of the grid)
  it.each([
    { set: 'coco' as const, from: 1, to: 20, dir: 1, what: 'COCO-mini, from a pipeline at boost 1: boosting the kNN brings photos into the window, and a higher boost (≥ 5) comes out' },
    { set: 'grocery' as const, from: 20, to: 1, dir: -1, what: 'Grocery, from a pipeline at boost 20: boosting the kNN drops products from the window, and a low boost (≤ 2) comes out' },
  ])('$what', ({ set, from, to, dir }) => {
    const rows = fits[set].out.knnBoosts as any[];
    const at = (b: number) => rows.find((r) => r.knnBoost === b);
    const chosen = fits[set].out.knnBoost;
    // recall rises with the boost on COCO (dir 1) and falls on Grocery (dir −1)
    expect(dir * (at(20).recall - at(1).recall), JSON.stringify(rows)).toBeGreaterThan(0);
    expect(dir > 0 ? chosen >= 5 : chosen <= 2, `${set} chose ${chosen}: ${JSON.stringify(rows)}`).toBe(true);
    expect(at(chosen).fitted).toBeGreaterThan(at(from).fitted);
    expect(at(to).fitted).toBeGreaterThan(at(from).fitted);
  });

  it("each boost's recall of the window is what the proxy's own first stage returns at that boost", async () => {
    for (const [set, index, f] of [['coco', COCO_INDEX, cocoFiles], ['grocery', GROCERY_INDEX, groceryFiles]] as const) {
      for (const b of [1, 20]) {
        const row = fits[set].out.knnBoosts.find((r: any) => r.knnBoost === b);
        const got = await recallThrough(p.url, index, f, b);
        expect([...got.reported], `${set} at ${b}`).toEqual([b]);
        expect(row.recall, `${set} at ${b}`).toBeCloseTo(got.recall, 10);
      }
    }
  });

  it('the snippet, set into the pipeline, loads as a pipeline and serves its boost', async () => {
    const dir = pipelinesDir({
      ...PIPES,
      'q20fit-coco-fitted.yaml': withSnippet(PIPES['q20fit-coco.yaml'], 'q20fit-coco-fitted', fits.coco.snippet),
      'q20fit-grocery-fitted.yaml': withSnippet(PIPES['q20fit-grocery.yaml'], 'q20fit-grocery-fitted', fits.grocery.snippet),
    });
    served = await startSearchProxy('elasticsearch', { pipelinesDir: dir });
    for (const [set, index, f] of [['coco', COCO_INDEX, cocoFiles], ['grocery', GROCERY_INDEX, groceryFiles]] as const) {
      const got = await recallThrough(served.url, index, f, undefined, `q20fit-${set}-fitted`);
      expect([...got.reported], set).toEqual([fits[set].out.knnBoost]);
      expect(got.recall, set).toBeCloseTo(fits[set].out.knnBoosts.find((r: any) => r.knnBoost === fits[set].out.knnBoost).recall, 10);
    }
  });

  it('a first stage without a kNN beside the text query (BM25 alone) is fitted as before: one collection, no boost in the snippet, --knn-boost said to be unused', async () => {
    const json = join(cocoFiles.dir, 'fit-bm25.json');
    const snippetFile = join(cocoFiles.dir, 'fitted-bm25.yaml');
    const { stdout } = await evalCli(['--url', p.url, '--index', COCO_INDEX, '--pipeline', 'q20fit-coco-bm25', '--queries', cocoFiles.queries, '--qrels', cocoFiles.qrels, '--window', String(WINDOW), '--fit', '--folds', '3', '--knn-boost', '5,20', '--json', json, '--snippet', snippetFile]);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.pipeline).toBe('q20fit-coco-bm25');
    expect(out).not.toHaveProperty('knnBoosts');
    expect(out).not.toHaveProperty('pipelineKnnBoost');
    expect(out).not.toHaveProperty('windowChoice');
    expect(parseYaml(readFileSync(snippetFile, 'utf8')).first_stage).not.toHaveProperty('knn_boost');
    expect(stdout).toContain('--knn-boost was not used: the first stage has no kNN beside a text query');
    expect(stdout).not.toContain("the bridge kNN's boost beside the text query");
  });

  it('a bad ext.vlrerank.knn_boost is an ES-shaped 400 naming the field; --knn-boost without --fit or with a bad list is exit 2', async () => {
    for (const bad of [0, -1, 'x']) {
      const r = await clientSearchRaw('elasticsearch', p.url, { index: COCO_INDEX, body: { size: 5, ext: { vlrerank: { query: 'a dog', knn_boost: bad } } } });
      expect(r.statusCode, String(bad)).toBe(400);
      expect(r.body.error.type).toBeTypeOf('string');
      expect(r.body.error.reason).toContain('ext.vlrerank.knn_boost');
    }
    const base = ['--url', p.url, '--index', COCO_INDEX, '--queries', cocoFiles.queries, '--qrels', cocoFiles.qrels];
    await expect(evalCli([...base, '--knn-boost', '5'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('belong to --fit') });
    await expect(evalCli([...base, '--fit', '--knn-boost', '1,0'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--knn-boost must be a positive number') });
  });
});
