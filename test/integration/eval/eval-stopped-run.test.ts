/**
 * A `vlrerank eval` run that ends early keeps what it measured (held-out eval probe round): Ctrl-C
 * (SIGINT) or SIGTERM mid-run, or the proxy going away mid-run, used to lose every search done —
 * exit 130/143 or 2 with nothing written. Now the figures of the searches done are written as asked
 * (`--json` with `partial`, `--report`, the summary with a note) and the exit says what happened
 * (130, 143, 2). The real CLI as users run it, through a real vlrerank on Elasticsearch 8.19 (six
 * COCO-mini photos); a plain relay in front of it counts the searches, so each signal is sent after
 * searches were answered, and closing the relay is the proxy going away. A query the engine refuses
 * (a 40,000-word text passes Elasticsearch's maxClauseCount, which 8.x derives from the heap: a
 * 10,000-word one passed it once the test engines had 1 GiB) stops the run the same way, and the
 * message names the engine's root cause, not its "all shards failed".
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cocoEvalFiles, cocoProxy, evalExit } from '../../helpers/eval-fixtures.js';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import type { SearchProxy } from '../../helpers/search-fixtures.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const INDEX = 'eval-coco-stop';
const N = 6;
const REPEAT = 60; // 360 queries: far more than are done before the signal
/** Copies of a caption in the query the engine refuses: ~40,000 words, past maxClauseCount for heaps up to ~2 GiB (with 1 GiB, 10,000 words passed and 20,000 were refused). */
const LONG = 4000;
let p: SearchProxy;
const files = cocoEvalFiles(N);
const queries = join(files.dir, 'many.jsonl');
const qrels = join(files.dir, 'many.tsv');

beforeAll(async () => {
  p = await cocoProxy(INDEX, N);
  await p.reranker.warmup();
  const q: string[] = [];
  const j: string[] = [];
  for (let k = 0; k < REPEAT; k++) for (const [id, text] of files.texts) {
    q.push(JSON.stringify({ _id: `${id}-${k}`, text }));
    j.push(`${id}-${k}\t${id}\t1`);
  }
  writeFileSync(queries, `${q.join('\n')}\n`);
  writeFileSync(qrels, `${j.join('\n')}\n`);
}, 600_000);

afterAll(async () => {
  await p?.close();
});

/** The CLI against the relay (an evaluation at windows 5 and 6, or `args`); `act` runs once 8 searches went through it. */
async function stoppedRun(relay: CountingRelay, name: string, act: (pid: number) => Promise<void> | void, args = ['--window', '5,6', '--report', join(files.dir, `${name}.html`)]): Promise<{ code: number | null; stdout: string; stderr: string; json: string }> {
  const json = join(files.dir, `${name}.json`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'eval', '--url', relay.url, '--index', INDEX, '--queries', queries, '--qrels', qrels, '--json', json, ...args], {
    cwd: REPO_ROOT,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const searches = () => relay.seen.filter((s) => s.startsWith(`POST /${INDEX}/_search`)).length;
  while (searches() < 8) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await act(child.pid!);
  return { code: await exited, stdout, stderr, json };
}

describe('vlrerank eval stopped mid-run keeps what it measured', { timeout: 600_000 }, () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s: the figures of the searches done are written, marked partial; exit %i', async (signal, exit) => {
    const relay = await countingRelay(p.url);
    try {
      const r = await stoppedRun(relay, signal, (pid) => void process.kill(pid, signal));
      expect(r.code, r.stderr).toBe(exit);
      const out = JSON.parse(readFileSync(r.json, 'utf8'));
      expect(out.partial).toMatchObject({ signal, of: N * REPEAT * 2 });
      expect(out.partial.searches).toBeGreaterThanOrEqual(7); // the 8th seen may be the one in flight, dropped
      expect(out.partial.searches).toBeLessThan(N * REPEAT * 2);
      // every search done is in the figures
      expect(out.runs.reduce((s: number, x: any) => s + x.queries.length, 0)).toBe(out.partial.searches);
      expect(out.configs[0].queries).toBe(out.runs[0].queries.length);
      expect(r.stdout).toContain(`interrupted (${signal}) after ${out.partial.searches} of ${N * REPEAT * 2} searches`);
      expect(readFileSync(join(files.dir, `${signal}.html`), 'utf8')).toContain(`interrupted (${signal})`);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
    } finally {
      await relay.close();
    }
  });

  it('the proxy going away mid-run: the searches done are written, the failure named, exit 69 (unavailable)', async () => {
    const relay = await countingRelay(p.url);
    const r = await stoppedRun(relay, 'gone', () => relay.close());
    expect(r.code, r.stderr).toBe(69);
    expect(r.stderr).toContain(`cannot reach ${relay.url}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(r.json)).toBe(true);
    const out = JSON.parse(readFileSync(r.json, 'utf8'));
    expect(out.partial.searches).toBeGreaterThanOrEqual(7); // the 8th seen may be the one in flight, dropped
    expect(out.partial.reason).toContain('cannot reach');
    expect(out.runs.reduce((s: number, x: any) => s + x.queries.length, 0)).toBe(out.partial.searches);
  });
});

describe('vlrerank eval --fit stopped mid-collection fits on what it collected', { timeout: 600_000 }, () => {
  it('SIGINT: the fit runs on the queries collected, says so, writes --json with partial; exit 130', async () => {
    const relay = await countingRelay(p.url);
    try {
      const r = await stoppedRun(relay, 'fit-sigint', (pid) => void process.kill(pid, 'SIGINT'), ['--window', '5', '--fit', '--folds', '2']);
      expect(r.code, r.stderr).toBe(130);
      const out = JSON.parse(readFileSync(r.json, 'utf8'));
      expect(out.mode).toBe('fit');
      expect(out.partial).toMatchObject({ signal: 'SIGINT', of: N * REPEAT });
      expect(out.partial.searches).toBeGreaterThanOrEqual(7); // the 8th seen may be the one in flight, dropped
      expect(out.partial.searches).toBeLessThan(N * REPEAT);
      expect(out.queries).toBe(out.partial.searches); // every search collected is fitted on (none degraded here)
      expect(out.heldOut.folds).toHaveLength(2);
      expect(r.stdout).toContain('fusion fit on index');
      expect(r.stdout).toContain(`note: interrupted (SIGINT) after ${out.partial.searches} of ${N * REPEAT} searches: fitted on the ${out.queries} reranked queries collected`);
      expect(r.stdout).toContain('# Partial: interrupted (SIGINT)'); // the snippet says so too
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await relay.close();
    }
  });

  it('SIGINT before enough queries for the folds: nothing fitted, said so; exit 130', async () => {
    const relay = await countingRelay(p.url);
    try {
      const r = await stoppedRun(relay, 'fit-few', (pid) => void process.kill(pid, 'SIGINT'), ['--window', '5', '--fit', '--folds', '50']);
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(/interrupted \(SIGINT\) after \d+ of 360 searches: \d+ searches came back reranked \(0 degraded\): too few for 50 folds: nothing fitted, nothing written/);
      expect(existsSync(r.json)).toBe(false);
    } finally {
      await relay.close();
    }
  });
});

describe('a query the engine refuses mid-run', { timeout: 600_000 }, () => {
  it('stops the run with the root cause named; the searches before it are written', async () => {
    const [[id1, t1], [id2, t2]] = [...files.texts];
    const q = join(files.dir, 'long.jsonl');
    writeFileSync(q, [{ _id: id1, text: t1 }, { _id: id2, text: t2 }, { _id: 'long', text: `${t1} `.repeat(LONG) }].map((x) => JSON.stringify(x)).join('\n'));
    const json = join(files.dir, 'long.json');
    const r = await evalExit(['--url', p.url, '--index', INDEX, '--queries', q, '--window', '5', '--json', json], 600_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('query "long" (window 5)');
    expect(r.stderr).toContain('maxClauseCount');
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.runs[0].queries.map((x: any) => x.id)).toEqual([id1, id2]);
    expect(out.partial).toMatchObject({ searches: 2, of: 3 });
  });
});

describe('--fit: a query the engine refuses', { timeout: 600_000 }, () => {
  it('names the root cause too (the fit collects every judged query first)', async () => {
    const ids = [...files.texts.keys()];
    const q = join(files.dir, 'fit-long.jsonl');
    writeFileSync(q, [...[...files.texts].map(([id, text]) => ({ _id: id, text, relevant: [id] })), { _id: 'long', text: `${files.texts.get(ids[0]!)!} `.repeat(LONG), relevant: [ids[0]] }].map((x) => JSON.stringify(x)).join('\n'));
    const r = await evalExit(['--url', p.url, '--index', INDEX, '--queries', q, '--window', '5', '--fit', '--folds', '2'], 600_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('query "long" (window 5)');
    expect(r.stderr).toContain('maxClauseCount');
    // the six queries collected before it are fitted on, and the figures say why there are six
    expect(r.stdout).toContain(`note: stopped by a failed search: query "long" (window 5)`);
    expect(r.stdout).toContain(`after ${N} of ${N + 1} searches: fitted on the ${N} reranked queries collected`);
  });
});
