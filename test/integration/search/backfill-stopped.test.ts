/**
 * `vlrerank index backfill` stopped by a signal says how far it got and how to go on (held-out
 * probe round 9: SIGTERM exited 143 without a word; nothing was lost and a rerun resumed). The real
 * CLI in a child process (node --import tsx, one process, so the signal reaches it) on an index of
 * Elasticsearch 8.19 holding SciFact abstracts written straight to the engine (knowledge-base
 * pipeline: text records); the signal is sent once the engine holds some records. Then: a last
 * line "stopped by SIGTERM after N of 30 documents" whose N is what the engine holds, exit 143
 * (SIGINT: 130), and a rerun writes exactly the rest.
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { MODELS, REPO_ROOT } from '../../helpers/paths.js';
import { scifactDocs } from '../../helpers/scifact-docs.js';

const N = 30;
let url: string;
const indices = ['gaps11-bf-stop-term', 'gaps11-bf-stop-int'];

const env = () => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))), VLRERANK_UPSTREAM: url, VLRERANK_MODELS_DIR: MODELS, VLRERANK_PIPELINES_DIR: join(REPO_ROOT, 'pipelines'), VLRERANK_LOG_LEVEL: 'silent' });
const cliArgs = (args: string[]) => ['--import', 'tsx', 'src/cli/main.ts', 'index', ...args, '--pipeline', 'knowledge-base'];

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, cliArgs(args), { cwd: REPO_ROOT, env: env(), timeout: 300_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const json = async (method: string, path: string, body?: unknown) =>
  (await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<any>;

/** Documents of `index` whose record the engine holds (after a refresh). */
async function recorded(index: string): Promise<number> {
  await json('POST', `/${index}/_refresh`);
  return (await json('POST', `/${index}/_count`, { query: { exists: { field: 'vlrerank_features_key' } } })).count;
}

describe('vlrerank index backfill stopped by a signal', () => {
  beforeAll(async () => {
    url = await useEngine('elasticsearch');
    const docs = scifactDocs(N);
    // the two indices are set up side by side (each a CLI process of its own)
    await Promise.all(indices.map(async (index) => {
      await fetch(`${url}/${index}`, { method: 'DELETE' });
      const setup = await cli(['setup', index]);
      expect(setup.code, setup.stderr).toBe(0);
      const nd = docs.flatMap((d) => [JSON.stringify({ index: { _id: d.id } }), JSON.stringify({ title: d.title, text: d.text })]).join('\n') + '\n';
      await fetch(`${url}/${index}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
    }));
  }, 300_000);
  afterAll(async () => {
    for (const index of indices) await fetch(`${url}/${index}`, { method: 'DELETE' });
  });

  // each signal has its own index and its own child processes: the two run side by side
  it.concurrent.each([
    ['SIGTERM', 143, indices[0]!],
    ['SIGINT', 130, indices[1]!],
  ] as const)('%s: says how far it got (N of 30, as the engine holds), exit %i; a rerun writes the rest', { timeout: 300_000 }, async (signal, exit, index) => {
    // two documents a second: the run lasts ~15 s, the signal comes after the first pages
    const child = spawn(process.execPath, cliArgs(['backfill', index, '--batch', '2', '--concurrency', '1', '--max-docs-per-second', '2', '--no-ceiling']), { cwd: REPO_ROOT, env: env() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 2400 && child.exitCode === null && (await recorded(index)) < 4; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill(signal);
    const code = await exited;
    expect(code, stderr).toBe(exit);
    const m = new RegExp(`${index}: stopped by ${signal} after (\\d+) of ${N} documents \\(nothing is lost: run "vlrerank index backfill ${index} --pipeline knowledge-base" again to continue where it stopped\\)`).exec(stderr);
    expect(m, stderr).not.toBeNull();
    const done = Number(m![1]);
    const held = await recorded(index);
    expect(done).toBe(held);
    expect(done).toBeGreaterThanOrEqual(4);
    expect(done).toBeLessThan(N);
    expect(stdout).toContain(`${index}: ${done} documents got their feature record`);
    const again = await cli(['backfill', index, '--no-ceiling']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`${index}: ${N - done} documents got their feature record`);
    expect(await recorded(index)).toBe(N);
  });
});
