/**
 * Fixtures of the `vlrerank eval` tests: a COCO-mini subset on a real engine behind an in-process
 * vlrerank (the shipped `coco` pipeline under the name `eval-coco` for `eval-coco-*` indices, so the
 * test's index names stay its own), its queries and judgements as files (caption #2 of each photo →
 * that photo, as test/helpers/search-eval.ts judges them), and the CLI spawned as users run it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { coco, ensureCoco } from './search-eval.js';
import { pipelinesDir, startSearchProxy, type SearchProxy } from './search-fixtures.js';
import { REPO_ROOT } from './paths.js';

const run = promisify(execFile);

/** The coco pipeline as `eval-coco`, covering `eval-coco-*`. */
export function evalPipelinesDir(): string {
  const coco = readFileSync(join(REPO_ROOT, 'pipelines', 'coco.yaml'), 'utf8').replace(/^name: coco$/m, 'name: eval-coco').replace(/^index_patterns: .*$/m, 'index_patterns: [eval-coco-*]')
    // the same generous budget pipelinesDir() gives the shipped pipelines: a test of figures, not of the time budget
    .replace(/^budget_ms: \d+$/m, 'budget_ms: 300000');
  return pipelinesDir({ 'eval-coco.yaml': coco });
}

export async function cocoProxy(index: string, limit: number): Promise<SearchProxy> {
  const p = await startSearchProxy('elasticsearch', { pipelinesDir: evalPipelinesDir() });
  await ensureCoco(p, 'elasticsearch', index, limit);
  return p;
}

/** queries.jsonl (caption #2 → photo) and qrels.tsv (BEIR layout) for the first `limit` photos. */
export function cocoEvalFiles(limit: number): { dir: string; queries: string; qrels: string; texts: Map<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'vlr-eval-'));
  const rows = coco.slice(0, limit);
  writeFileSync(join(dir, 'queries.jsonl'), rows.map((r) => JSON.stringify({ _id: String(r.coco_id), text: r.captions[1] })).join('\n') + '\n');
  writeFileSync(join(dir, 'qrels.tsv'), ['query-id\tcorpus-id\tscore', ...rows.map((r) => `${r.coco_id}\t${r.coco_id}\t1`)].join('\n') + '\n');
  return { dir, queries: join(dir, 'queries.jsonl'), qrels: join(dir, 'qrels.tsv'), texts: new Map(rows.map((r) => [String(r.coco_id), r.captions[1]!])) };
}

/**
 * `vlrerank eval …` from the repository root (node + tsx, as evalExit runs it: `npx tsx` ran the same
 * file behind an npm process and tsx's own launcher, about a second of start-up more per run), without
 * the caller's VLRERANK_* variables.
 */
export function evalCli(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'eval', ...args], {
    cwd: REPO_ROOT,
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))), ...env },
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/**
 * `vlrerank eval …` run to its end from the repository root (node + tsx, without the caller's
 * VLRERANK_* variables): its exit code and standard error, for tests of what it refuses.
 */
export function evalExit(args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'eval', ...args], {
    cwd: REPO_ROOT,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))),
    timeout: timeoutMs,
  }).then(
    (r) => ({ code: 0, stdout: String(r.stdout), stderr: String(r.stderr) }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}
