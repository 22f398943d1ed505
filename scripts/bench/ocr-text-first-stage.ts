/**
 * `ingest.ocr_text` (feat23o) on a small knowledge base: 200 SciFact abstracts as text and 20 as
 * page screenshots only (title and abstract rendered by librsvg into a temporary folder, never
 * kept). Two servers, one pipeline each, the same documents written through each, one at a time,
 * the order alternated per document: without the setting (`before`) and with it (`after`).
 *
 * Prints, for the SciFact claims (test and train) whose answer is one of the screenshots, the
 * first stage's recall@20 — the pipeline's own BM25 `multi_match` (title, text; with the setting also
 * the OCR field) run on the engine — and the ingest time per screenshot (p50 and mean of each server;
 * each server has its own in-memory feature cache and no disk store, so each runs OCR once).
 *
 *   tsx scripts/bench/ocr-text-first-stage.ts [--engine elasticsearch|opensearch] [--shots 20] [--texts 200] [--font 18]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineUrl } from '../engines.js';
import { parseConfig } from '../../src/config/load.js';
import { setupIndex } from '../../src/engine/mapping.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';
import { pagePng } from '../../test/helpers/screenshots.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1]! : d);
const ENGINE = opt('--engine', 'elasticsearch') as 'elasticsearch' | 'opensearch';
const SHOTS = Number(opt('--shots', '20'));
const TEXTS = Number(opt('--texts', '200'));
/** Body text size of the rendered pages (px): PP-OCRv4 glues Latin words together at body sizes (round 22a). */
const FONT = Number(opt('--font', '18'));
const OCR_FIELD = 'screenshot_text';
const BEFORE = 'f23o-bench-before';
const AFTER = 'f23o-bench-after';

const SCI = join(DATA, 'scifact-beir');
type Doc = { _id: string; title: string; text: string };
const corpus = new Map(readFileSync(join(SCI, 'corpus.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Doc).map((d) => [d._id, d]));
const claims = new Map(readFileSync(join(SCI, 'queries.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { _id: string; text: string }).map((q) => [q._id, q.text]));
const qrels = ['test', 'train'].flatMap((s) => readFileSync(join(SCI, 'qrels', `${s}.tsv`), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t') as [string, string, string]));
// the screenshots: the first SHOTS answers of the claims (in qrels order: test, then train); the claims: every one answered by one of them
const shotIds = [...new Set(qrels.map(([, d]) => d))].slice(0, SHOTS);
const asked = qrels.filter(([, d]) => shotIds.includes(d)).map(([q, d]) => ({ q: claims.get(q)!, d }));
const textIds = [...corpus.keys()].filter((id) => !shotIds.includes(id)).slice(0, TEXTS);

const dir = mkdtempSync(join(tmpdir(), 'vlr-f23o-'));
/** A page screenshot: the title in bold, the abstract wrapped (test/helpers/screenshots.ts pagePng), FONT px DejaVu Sans. */
async function render(d: Doc): Promise<string> {
  const file = join(dir, `page-${d._id}.png`);
  writeFileSync(file, await pagePng(d.title, [d.text], FONT));
  return file;
}

const pipeline = (name: string, index: string, extra: string) =>
  `name: ${name}\nindex_patterns: [${index}]\nfields: { text: [title, text], image: [screenshot] }\nfirst_stage: { text_query: bm25, fusion: { method: none } }\nfeatures: { store: index }\n${extra}`;
const pdir = join(dir, 'pipelines');
mkdirSync(pdir);
writeFileSync(join(pdir, 'before.yaml'), pipeline('f23o-before', BEFORE, ''));
writeFileSync(join(pdir, 'after.yaml'), pipeline('f23o-after', AFTER, `ingest: { ocr_text: ${OCR_FIELD} }\n`));

async function server(): Promise<RunningServer> {
  return startServer(
    parseConfig({
      server: { host: '127.0.0.1', port: 0, ui: false },
      upstream: { urls: [engineUrl(ENGINE)] },
      log: { level: 'silent', access: false },
      models: { dir: MODELS, intraOpThreads: 2 },
      media: { roots: [dir] },
      pipelines: { dir: pdir, bulkBudgetMs: 0 },
      rerank: { ocr: true, admission: { maxQueueWaitMs: 600_000 } },
    }),
  );
}

const engine = engineUrl(ENGINE);
const json = async (method: string, path: string, body?: unknown) => (await fetch(`${engine}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })).json() as Promise<any>;
const put = async (url: string, index: string, id: string, doc: object): Promise<number> => {
  const t = performance.now();
  const r = await fetch(`${url}/${index}/_doc/${encodeURIComponent(id)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
  const b = (await r.json()) as any;
  if (r.status >= 300 || b.vlrerank?.error) throw new Error(`write of ${id} into ${index}: ${r.status} ${JSON.stringify(b).slice(0, 300)}`);
  return performance.now() - t;
};
const recall = async (index: string, fields: string[]) => {
  let hit = 0;
  for (const a of asked) {
    const r = await json('POST', `/${index}/_search`, { size: 20, _source: false, query: { multi_match: { query: a.q, fields } } });
    if ((r.hits.hits as Array<{ _id: string }>).some((h) => h._id === a.d)) hit++;
  }
  return hit / asked.length;
};
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const before = await server();
const after = await server();
try {
  for (const [s, index] of [[before, BEFORE], [after, AFTER]] as const) {
    await json('DELETE', `/${index}`);
    await setupIndex(s.services.engine, s.services.pipelines.get(index === BEFORE ? 'f23o-before' : 'f23o-after')!, index);
    await s.services.reranker.waitWarm({ cost: 0 });
  }
  // the text abstracts (no model but the text model; not timed)
  for (const [i, id] of textIds.entries()) {
    const d = corpus.get(id)!;
    for (const [s, index] of [[before, BEFORE], [after, AFTER]] as const) await put(s.url, index, id, { title: d.title, text: d.text });
    if (i % 50 === 49) process.stderr.write(`texts ${i + 1}/${textIds.length}\n`);
  }
  const times = { before: [] as number[], after: [] as number[] };
  for (const [i, id] of shotIds.entries()) {
    const file = await render(corpus.get(id)!);
    const order = i % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
    for (const k of order) times[k].push(await put(k === 'before' ? before.url : after.url, k === 'before' ? BEFORE : AFTER, id, { screenshot: file }));
    process.stderr.write(`screenshot ${i + 1}/${shotIds.length}: before ${times.before.at(-1)!.toFixed(0)} ms, after ${times.after.at(-1)!.toFixed(0)} ms\n`);
  }
  for (const index of [BEFORE, AFTER]) await json('POST', `/${index}/_refresh`);
  const read = (await json('POST', `/${AFTER}/_search`, { size: SHOTS, query: { exists: { field: OCR_FIELD } }, _source: [OCR_FIELD] })).hits.hits as Array<{ _source: Record<string, string> }>;
  const chars = read.map((h) => h._source[OCR_FIELD]!.length);
  console.log(`engine ${ENGINE}: ${textIds.length} abstracts as text, ${shotIds.length} as screenshots only; ${asked.length} claims answered by a screenshot`);
  console.log(`body text ${FONT} px; a sample of what OCR read: ${JSON.stringify(read[0]?._source[OCR_FIELD]?.slice(0, 160))}`);
  console.log(`OCR field filled on ${read.length}/${shotIds.length} screenshots (mean ${mean(chars).toFixed(0)} characters, max ${Math.max(...chars)})`);
  console.log(`first-stage recall@20 (BM25 multi_match): before ${(await recall(BEFORE, ['title', 'text'])).toFixed(3)}, after ${(await recall(AFTER, ['title', 'text', OCR_FIELD])).toFixed(3)}`);
  console.log(`ingest per screenshot: before p50 ${p50(times.before).toFixed(0)} ms (mean ${mean(times.before).toFixed(0)}), after p50 ${p50(times.after).toFixed(0)} ms (mean ${mean(times.after).toFixed(0)}); ratio of means after/before ${(mean(times.after) / mean(times.before)).toFixed(3)}`);
} finally {
  for (const index of [BEFORE, AFTER]) await json('DELETE', `/${index}`).catch(() => undefined);
  await before.close();
  await after.close();
  rmSync(dir, { recursive: true, force: true });
}
