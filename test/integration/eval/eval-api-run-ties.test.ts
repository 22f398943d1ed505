/**
 * `vlrerank eval --api --candidates` on a run whose scores tie (held-out probe round 14c): a BM25
 * run rounds scores, a hand-made one gives 1.0 to a shortlist. trec_eval (and pytrec_eval, hence
 * BEIR) orders tied documents by document id, descending, whatever their line or rank column; eval
 * took the file order, so its first stage scored nDCG@10 1.000 on a run trec_eval scores 0.450.
 * Six SciFact test claims, their judged abstracts listed first in each query's tie, the real text
 * model through the CLI; the expected figures computed here from trec_eval's order.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { evalCli } from '../../helpers/eval-fixtures.js';
import { jsonl } from '../../helpers/reranker.js';
import { DATA, MODELS } from '../../helpers/paths.js';
import { ndcgAt10 } from '../../helpers/scifact.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-eval-ties-'));
const qrelLines = readFileSync(join(DATA, 'scifact-beir/qrels/test.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
const qids = [...new Set(qrelLines.map((r) => r[0]!))].slice(0, 6);
const judged = qrelLines.filter((r) => qids.includes(r[0]!));
const rel = (q: string) => new Map(judged.filter((r) => r[0] === q).map((r) => [r[1]!, Number(r[2])]));
const corpus = jsonl<{ _id: string; title: string; text: string }>('scifact-beir/corpus.jsonl');
const wanted = new Set(judged.map((r) => r[1]!));
const others = corpus.filter((d) => !wanted.has(d._id)).slice(0, 5);
/** Per query: its judged abstracts then three others at score 1.0 (tied), two more at 0.5 — in that file order. */
const lines = qids.map((q) => [...rel(q).keys(), ...others.map((d) => d._id)].map((d, i, all) => ({ q, d, s: i < all.length - 2 ? 1 : 0.5 })));
/** trec_eval's order: score descending, ties by document id descending (strcmp). */
const trecOrder = (rows: Array<{ d: string; s: number }>) => [...rows].sort((a, b) => b.s - a.s || (a.d < b.d ? 1 : a.d > b.d ? -1 : 0)).map((r) => r.d);
let out: any;
let stdout: string;

beforeAll(async () => {
  writeFileSync(join(dir, 'docs.jsonl'), corpus.filter((d) => wanted.has(d._id) || others.includes(d)).map((d) => JSON.stringify(d)).join('\n'));
  writeFileSync(join(dir, 'qrels.tsv'), ['query-id\tcorpus-id\tscore', ...judged.map((r) => r.join('\t'))].join('\n'));
  writeFileSync(join(dir, 'run.trec'), lines.flatMap((rows) => rows.map((r, i) => `${r.q} Q0 ${r.d} ${i + 1} ${r.s.toFixed(1)} bm25`)).join('\n'));
  ({ stdout } = await evalCli(['--api', '--models-dir', MODELS, '--log-level', 'silent', '--collection', join(dir, 'docs.jsonl'), '--queries', join(DATA, 'scifact-beir/queries.jsonl'), '--qrels', join(dir, 'qrels.tsv'), '--candidates', join(dir, 'run.trec'), '--window', '4', '--json', join(dir, 'out.json')]));
  out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('orders tied candidates as trec_eval does: the first stage and the window cut are those of trec_eval on the same run', () => {
  const runs = out.runs[0].queries;
  expect(runs.map((q: any) => q.id)).toEqual(qids);
  for (const [i, q] of runs.entries()) expect(q.first).toEqual(trecOrder(lines[i]!).slice(0, 4));
  const c = out.configs[0];
  const expected = qids.reduce((s, q, i) => s + ndcgAt10(trecOrder(lines[i]!), rel(q)), 0) / qids.length;
  // the file order put every judged abstract first: nDCG@10 1.000 for a run trec_eval scores lower
  expect(expected).toBeLessThan(0.9);
  expect(c.first.ndcg10).toBeCloseTo(qids.reduce((s, q, i) => s + ndcgAt10(trecOrder(lines[i]!).slice(0, 4), rel(q)), 0) / qids.length, 4);
  expect(c.first.ndcg10).toBeLessThan(0.9);
});

it('says the run ties, and how eval read the ties', () => {
  expect(stdout).toContain(`tied scores in ${qids.length} queries`);
  expect(stdout).toContain('ordered as trec_eval orders them, by document id descending');
  expect(out.notes.join('\n')).toContain('tied scores');
});
