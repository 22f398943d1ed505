/**
 * Judgements naming documents the index does not hold are told (held-out eval probe round): they
 * count as never found (trec_eval's reading, kept), but nothing said so — judgements whose ids do not
 * match the documents' `_id` showed only as figures of 0. Now a note names how many and which, and
 * asks whether the ids match when none is there. The real CLI through a real vlrerank on
 * Elasticsearch 8.19 (six COCO-mini photos, the fixture of eval-stopped-run.test.ts). The --api
 * reading (ids against the collection) is in test/unit/eval/summary-report.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cocoEvalFiles, cocoProxy, evalCli } from '../../helpers/eval-fixtures.js';
import type { SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'eval-coco-stop';
const N = 6;
let p: SearchProxy;
const files = cocoEvalFiles(N);

beforeAll(async () => {
  p = await cocoProxy(INDEX, N);
  await p.reranker.warmup();
}, 600_000);

afterAll(async () => {
  await p?.close();
});

describe('relevant judged documents the index does not hold', { timeout: 600_000 }, () => {
  it('are counted as never found and named in a note (stdout and --json)', async () => {
    const ids = [...files.texts.keys()];
    const qrels = join(files.dir, 'unknown.tsv');
    writeFileSync(qrels, [...ids.map((id) => `${id}\t${id}\t1`), `${ids[0]}\tno-such-photo\t1`].join('\n'));
    const json = join(files.dir, 'unknown.json');
    const { stdout } = await evalCli(['--url', p.url, '--index', INDEX, '--queries', files.queries, '--qrels', qrels, '--window', '6', '--json', json]);
    const note = `1 of ${N + 1} relevant judged documents are not in index ${INDEX} (e.g. no-such-photo): each counts as never found`;
    expect(stdout).toContain(note);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.notes.join('\n')).toContain(note);
    // never found: the query's recall within the whole index is 1/2
    expect(out.configs[0].reranked.recallWindow).toBeCloseTo((N - 1 + 0.5) / N, 4);
  });

  it('when none of them is there, the note asks whether the ids match', async () => {
    const qrels = join(files.dir, 'prefixed.tsv');
    writeFileSync(qrels, [...files.texts.keys()].map((id) => `${id}\tcoco-${id}\t1`).join('\n'));
    const { stdout } = await evalCli(['--url', p.url, '--index', INDEX, '--queries', files.queries, '--qrels', qrels, '--window', '6']);
    expect(stdout).toContain(`${N} of ${N} relevant judged documents are not in index ${INDEX}`);
    expect(stdout).toContain("do the judgement ids match the documents' ids?");
  });
});
