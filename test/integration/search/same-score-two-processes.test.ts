/**
 * The same pair gets the same score in every process (issue 12): the process that indexed a
 * knowledge base (its text vectors computed at ingest, in the ingest's batches, and kept in its
 * feature cache) and a fresh `vlrerank serve` process (computing them again, in other batches)
 * give the same query and document exactly the same score — through the rerank API, where the
 * document's vector comes from the indexing process's cache in one and is computed anew in the
 * other, and through a reranked search on the index. The int8 text model used to make them differ
 * (0.804 vs 0.790: dynamic quantisation shares one activation scale per batch, PITFALLS.md); each
 * text now runs alone (manifest `text.runAlone`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { loadPipelines, type Pipeline } from '../../../src/pipelines/index.js';
import { documentFromSource } from '../../../src/pipelines/document.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { demoDocs, ensureDemoIndices, type Doc } from '../../../scripts/demo/indices.js';
import { useEngine } from '../../helpers/engines.js';
import { DATA, MODELS, REPO_ROOT } from '../../helpers/paths.js';
import { spawnRerankProcess } from '../../helpers/rerank-server.js';

const PREFIX = 'kb-demo-kb-twoproc-';
const INDEX = `${PREFIX}scifact`;
const N = 24;
const QUERY = 'Cells of the immune system respond to infection by producing signalling molecules.';

let es: string;
let indexer: RunningServer;
let fresh: Awaited<ReturnType<typeof spawnRerankProcess>>;
let texts: string[];

async function post(url: string, path: string, body: unknown): Promise<any> {
  const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await r.json();
  expect(r.status, JSON.stringify(json).slice(0, 500)).toBe(200);
  return json;
}

/** Score per document text of one rerank API call. */
async function rerankScores(url: string, docs: string[]): Promise<{ byText: Map<string, number>; sources: Record<string, number> }> {
  const out = await post(url, '/_vlrerank/rerank', { query: { text: QUERY }, documents: docs.map((text) => ({ text })) });
  const byText = new Map<string, number>(out.results.map((r: { index: number; score: number }) => [docs[r.index]!, r.score]));
  return { byText, sources: out.usage.feature_sources };
}

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  const kb = loadPipelines('pipelines', REPO_ROOT).find((p) => p.name === 'knowledge-base') as Pipeline;
  indexer = await startServer(parseConfig({ server: { port: 0, ui: false }, upstream: { urls: [es] }, log: { level: 'silent' }, media: { roots: [DATA] }, models: { dir: MODELS, intraOpThreads: 2 } }));
  // indexed through this process: each abstract's vector is computed at ingest (records kept in the index)
  const [report] = await ensureDemoIndices({ proxyUrl: indexer.url, dataDir: DATA, names: ['scifact'], pipelines: { scifact: kb }, limit: N, prefix: PREFIX, force: true, batch: { scifact: 12 } });
  expect(report).toMatchObject({ action: 'created', docs: N, errors: [] });
  const docs: Doc[] = [];
  for await (const d of demoDocs('scifact', DATA)) if (docs.push(d) >= N) break;
  texts = docs.map((d) => documentFromSource(d, kb)!.text!);
  fresh = await spawnRerankProcess({ upstream: es });
}, 600_000);

afterAll(async () => {
  await fresh?.stop();
  await fetch(`${es}/${INDEX}`, { method: 'DELETE' }).catch(() => undefined);
  await indexer?.close();
});

describe('the same query and document get the same score in every process', () => {
  it('rerank API: the indexing process (vectors from ingest) and a fresh process (computed in another batch) agree exactly', async () => {
    const picked = [texts[0]!, texts[5]!, texts[11]!, texts[17]!];
    const a = await rerankScores(indexer.url, picked);
    // the indexing process scores from the vectors its ingest computed, not new ones
    expect(a.sources).toEqual({ l1: picked.length });
    // the fresh process computes them, batched with a text the index never held and in another order
    const other = 'A long unrelated passage about the rotation curves of spiral galaxies and the dark matter halos that explain them. '.repeat(6);
    const b = await rerankScores(fresh.url, [picked[3]!, other, picked[1]!, picked[0]!, picked[2]!]);
    expect(b.sources).toEqual({ computed: picked.length + 1 });
    for (const t of picked) expect(b.byText.get(t), t.slice(0, 60)).toBe(a.byText.get(t));
  });

  it('reranked search: both processes return the same hits with the same scores', async () => {
    const body = { size: 10, query: { multi_match: { query: QUERY, fields: ['title', 'text'] } }, ext: { vlrerank: { query: { text: QUERY }, window: N } } };
    const a = await post(indexer.url, `/${INDEX}/_search`, body);
    const b = await post(fresh.url, `/${INDEX}/_search`, body);
    for (const r of [a, b]) expect(r.vlrerank).toMatchObject({ pipeline: 'knowledge-base', degraded: false });
    const hits = (r: any) => r.hits.hits.map((h: { _id: string; _score: number }) => [h._id, h._score]);
    expect(hits(a).length).toBeGreaterThan(1);
    expect(hits(b)).toEqual(hits(a));
  });
});
