/**
 * A screenshot of a passage against the same passage as text (issue 14 §4: "a text document, a photo
 * and a clip that are equally relevant get about the same score"). For SciFact test claims, one
 * Reranker.process(…, {ocr: true, explain: true}) per claim over five documents: its relevant
 * abstract as text and as a page screenshot, another claim's abstract as text and as a screenshot
 * (irrelevant), and a COCO photo (irrelevant). The pages are rendered by librsvg into a temporary
 * folder (test/helpers/screenshots.ts pagePng; never kept). Prints the mean scores, the gap between a
 * relevant screenshot and the same text, and how often a relevant screenshot sits below an
 * irrelevant document; `--out f.json` keeps every document's signals, `--from f.json` prints a kept
 * run's figures again without the models. A claim whose next claim has the same answer (its
 * "irrelevant" documents are its relevant ones) is left out of the irrelevant documents' figures.
 *
 *   npx tsx scripts/calibration/screenshot-vs-text.ts [--claims 40] [--font 18] [--out raw.json | --from raw.json]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reranker } from '../../src/rerank/reranker.js';
import type { RerankResult } from '../../src/rerank/types.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';
import { pagePng } from '../../test/helpers/screenshots.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1]! : d);
const CLAIMS = Number(opt('--claims', '40'));
const FONT = Number(opt('--font', '18'));
const OUT = opt('--out', '');
const FROM = opt('--from', '');

const SCI = join(DATA, 'scifact-beir');
type Doc = { _id: string; title: string; text: string };
const corpus = new Map(readFileSync(join(SCI, 'corpus.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Doc).map((d) => [d._id, d]));
const claims = new Map(readFileSync(join(SCI, 'queries.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { _id: string; text: string }).map((q) => [q._id, q.text]));
const firstAnswer = new Map<string, string>();
for (const [q, d] of readFileSync(join(SCI, 'qrels', 'test.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'))) if (!firstAnswer.has(q!)) firstAnswer.set(q!, d!);
const asked = [...firstAnswer].slice(0, CLAIMS);
const photos = readFileSync(join(DATA, 'coco-captions-mini', 'captions.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { image: string }).image);

export const KINDS = ['relevant text', 'relevant screenshot', 'irrelevant text', 'irrelevant screenshot', 'irrelevant photo'] as const;

type Row = { claim: string; docs: Array<{ kind: string; score: number; signals: RerankResult['explanation'] }> };
const rows: Row[] = FROM ? (JSON.parse(readFileSync(FROM, 'utf8')) as Row[]) : await run();

async function run(): Promise<Row[]> {
const dir = mkdtempSync(join(tmpdir(), 'vlr-shot-'));
const reranker = new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [dir, DATA] });
const rows: Row[] = [];
try {
  for (let i = 0; i < asked.length; i++) {
    const [q, rel] = asked[i]!;
    const irr = asked[(i + 1) % asked.length]![1];
    const shot = async (id: string) => {
      const file = join(dir, `page-${id}.png`);
      const d = corpus.get(id)!;
      writeFileSync(file, await pagePng(d.title, [d.text], FONT));
      return file;
    };
    const text = (id: string) => `${corpus.get(id)!.title}\n${corpus.get(id)!.text}`;
    const documents = [{ text: text(rel) }, { image: await shot(rel) }, { text: text(irr) }, { image: await shot(irr) }, { image: join(DATA, 'coco-captions-mini', photos[(i * 7) % photos.length]!) }];
    const out = await reranker.process({ query: { text: claims.get(q)! }, documents, ocr: true, explain: true });
    const docs = [...out].sort((a, b) => a.index - b.index).map((r) => ({ kind: KINDS[r.index]!, score: r.score, signals: r.explanation }));
    rows.push({ claim: claims.get(q)!, docs });
    process.stderr.write(`${i + 1}/${asked.length} ${docs.map((d) => d.score.toFixed(3)).join(' ')}\n`);
  }
} finally {
  await reranker.close();
  rmSync(dir, { recursive: true, force: true });
}
return rows;
}
if (OUT) writeFileSync(OUT, JSON.stringify(rows, null, 1));

const f = (x: number) => x.toFixed(3);
const score = (r: (typeof rows)[number], k: (typeof KINDS)[number]) => r.docs.find((d) => d.kind === k)!.score;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
// the claims whose "irrelevant" documents are another answer than their own
const apart = rows.filter((_, i) => asked[i]![1] !== asked[(i + 1) % asked.length]![1]);
process.stdout.write(`${rows.length} SciFact test claims (${apart.length} with an irrelevant answer apart), pages at ${FONT} px\n`);
for (const k of KINDS) process.stdout.write(`  mean ${k.padEnd(22)} ${f(mean((k.startsWith('irrelevant') ? apart : rows).map((r) => score(r, k))))}\n`);
process.stdout.write(`  relevant text − relevant screenshot: mean ${f(mean(rows.map((r) => score(r, 'relevant text') - score(r, 'relevant screenshot'))))}\n`);
process.stdout.write(`  relevant screenshot within 0.05 / 0.1 of the same text: ${f(mean(rows.map((r) => (Math.abs(score(r, 'relevant text') - score(r, 'relevant screenshot')) <= 0.05 ? 1 : 0))))} / ${f(mean(rows.map((r) => (Math.abs(score(r, 'relevant text') - score(r, 'relevant screenshot')) <= 0.1 ? 1 : 0))))}\n`);
for (const k of ['irrelevant text', 'irrelevant screenshot', 'irrelevant photo'] as const) {
  process.stdout.write(`  relevant screenshot below ${k.padEnd(22)} ${f(mean(apart.map((r) => (score(r, 'relevant screenshot') < score(r, k) ? 1 : 0))))}\n`);
}
process.stdout.write(`  relevant text below irrelevant photo        ${f(mean(apart.map((r) => (score(r, 'relevant text') < score(r, 'irrelevant photo') ? 1 : 0))))}\n`);
