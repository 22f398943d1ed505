/**
 * `vlrerank eval --fit` when judged documents are not in the index (held-out probe round 12c): the
 * evaluation says "N of M relevant judged documents are not in index …", but the fit said nothing of
 * it and counted those queries among the ones "a larger --window may help" — no window helps a
 * query whose relevant documents the index does not hold. It also dropped the inputs' notes (judged
 * query ids missing from the queries file). The real CLI with its in-process vlrerank and the real
 * models, in front of OpenSearch 2.19; a small `kb-*` index (the knowledge-base pipeline, BM25).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { MODELS, REPO_ROOT } from '../../helpers/paths.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vlr-fit-absent-'));
const INDEX = 'kb-p12c-fit-absent';
const DOCS: Array<[string, string]> = [
  ['d1', 'Vitamin D supplements improve bone density in older adults.'],
  ['d2', 'Regular aerobic exercise lowers resting blood pressure.'],
  ['d3', 'Green tea extract has no effect on body weight in trials.'],
  ['d4', 'Smoking raises the risk of lung cancer many times over.'],
  ['d5', 'Sleep deprivation impairs working memory in students.'],
  ['d6', 'Statins reduce LDL cholesterol and cardiovascular events.'],
];
// q1–q3 judged on documents the index holds; q4–q6 on ids it does not hold; q7 judged but not in the queries file
const QUERIES = ['vitamin D bone density', 'exercise blood pressure', 'smoking lung cancer', 'sleep and memory', 'statins cholesterol', 'green tea weight'];
const QRELS = [['q1', 'd1'], ['q2', 'd2'], ['q3', 'd4'], ['q4', 'x404'], ['q5', 'x405'], ['q6', 'x406'], ['q7', 'd5']];
let os = '';

afterAll(async () => {
  if (os) await fetch(`${os}/${INDEX}`, { method: 'DELETE' });
});

describe('eval --fit with judged documents the index does not hold', { timeout: 300_000 }, () => {
  it('OpenSearch 2.19: says how many are absent, and does not tell those queries a larger window may help', async () => {
    os = await useEngine('opensearch');
    await fetch(`${os}/${INDEX}`, { method: 'DELETE' });
    const bulk = DOCS.map(([id, text]) => `${JSON.stringify({ index: { _index: INDEX, _id: id } })}\n${JSON.stringify({ title: text.split(' ').slice(0, 3).join(' '), text })}\n`).join('');
    const r = await fetch(`${os}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
    expect(((await r.json()) as { errors: boolean }).errors).toBe(false);
    writeFileSync(join(dir, 'q.jsonl'), QUERIES.map((t, i) => JSON.stringify({ _id: `q${i + 1}`, text: t })).join('\n') + '\n');
    writeFileSync(join(dir, 'qrels.tsv'), `query-id\tcorpus-id\tscore\n${QRELS.map(([q, d]) => `${q}\t${d}\t1`).join('\n')}\n`);
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'eval', '--upstream', os, '--index', INDEX, '--queries', join(dir, 'q.jsonl'), '--qrels', join(dir, 'qrels.tsv'), '--window', '10', '--fit', '--folds', '2', '--json', join(dir, 'fit.json'), '--models-dir', MODELS, '--log-level', 'silent'],
      { cwd: REPO_ROOT, env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))), timeout: 240_000 },
    );
    expect(stdout).toContain(`note: 3 of 6 relevant judged documents are not in index ${INDEX}`);
    expect(stdout).toContain('note: 3 queries have no relevant document in the index at all');
    expect(stdout).not.toMatch(/a larger --window may help/);
    expect(stdout).toMatch(/note: 1 judged query ids? (is|are) not in the queries file/);
    const json = JSON.parse(readFileSync(join(dir, 'fit.json'), 'utf8')) as { notInIndex?: number; notes?: string[] };
    expect(json.notInIndex).toBe(3);
  });
});
