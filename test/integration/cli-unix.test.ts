/**
 * `vlrerank` as a Unix tool (held-out probe round 11b), child processes of the real CLI with the
 * real text model: a usage mistake prints the usage on stderr and exits 2 (was 1, the code of a
 * failed run), `--help` goes to stdout with 0; `--docs -` reads the documents from a pipe (was
 * "no such file", and `/dev/stdin` "not a file"); a reader that stops early (`| head -1`) ends the
 * command quietly (was an EPIPE stack trace, exit 1); more documents than the text model's queue
 * holds (1,024) are ranked (was "model bge-small-en-v1.5 is overloaded … retry later", exit 2).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS, REPO_ROOT } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-cli-unix-'));
const many = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ text: `document ${i} about dogs, cats and a long line of other words for the table` })).join('\n');
writeFileSync(join(dir, 'many.jsonl'), many(1100));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI with `args`, `stdin` written to it; `firstChunkOnly`: stdout is closed after its first chunk, as `head -1` does. */
function cli(args: string[], opts: { stdin?: string; firstChunkOnly?: boolean } = {}): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))), VLRERANK_MODELS_DIR: MODELS, VLRERANK_LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (opts.firstChunkOnly) child.stdout.destroy();
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

// each case is its own child process reading only the files written above: run side by side (one
// node + tsx start-up after another was nearly all of this file's time)
describe('vlrerank as a Unix tool', { timeout: 300_000, concurrent: true }, () => {
  it.each([
    [['--bogus'], "error: unknown option '--bogus'"],
    [['nosuchcmd'], "error: unknown command 'nosuchcmd'"],
    [['rerank', '-q', 'dog'], "error: required option '-d, --docs <file>' not specified"],
    [['rerank', '-q', 'dog', '-d', 'x.jsonl', '--bogus'], "error: unknown option '--bogus'"],
    [['index', 'setup'], "error: missing required argument 'index'"],
    [[], 'Usage: vlrerank [options] [command]'],
  ])('usage mistake %j: usage on stderr, exit 2', async (args, first) => {
    const r = await cli(args);
    expect(r.stderr.split('\n')[0]).toBe(first);
    expect(r.stderr).toContain('Usage: vlrerank');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });

  it('--help and --version: stdout, exit 0', async () => {
    const help = await cli(['rerank', '--help']);
    expect([help.code, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toContain('Usage: vlrerank rerank [options]');
    const version = await cli(['--version']);
    expect([version.code, version.stdout]).toEqual([0, `${(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`]);
  });

  it('--docs - reads the documents from a pipe', async () => {
    const r = await cli(['rerank', '-q', 'a dog', '-d', '-', '--json'], { stdin: '{"text":"a cat asleep"}\n"a dog on the grass"\nplain text about cars\n' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { results: Array<{ index: number }>; usage: { documents: number } };
    expect(out.usage.documents).toBe(3);
    expect(out.results[0]!.index).toBe(1);
  });

  it('--jsonl: one result per line, best first', async () => {
    const r = await cli(['rerank', '-q', 'a dog', '-d', '-', '--jsonl', '--top', '2'], { stdin: '"a cat asleep"\n"a dog on the grass"\n"cars"\n' });
    expect([r.code, r.stderr]).toEqual([0, '']);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { index: number; score: number; document: unknown });
    expect(lines).toHaveLength(2);
    expect([lines[0]!.index, lines[0]!.document]).toEqual([1, 'a dog on the grass']);
    expect(lines[0]!.score).toBeGreaterThan(lines[1]!.score);
  });

  it('a reader that stops early ends the command quietly, exit 0', async () => {
    const r = await cli(['rerank', '-q', 'a dog', '-d', join(dir, 'many.jsonl')], { firstChunkOnly: true });
    expect(r.stderr).not.toMatch(/EPIPE|at |Error/);
    expect(r.code).toBe(0);
  });

  it('more documents than the text model queue holds are ranked, in one order', async () => {
    const r = await cli(['rerank', '-q', 'a dog', '-d', join(dir, 'many.jsonl'), '--json', '--top', '5']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { results: Array<{ index: number; score: number }>; scores: number[]; usage: { documents: number } };
    expect(out.usage.documents).toBe(1100);
    expect(out.scores).toHaveLength(1100);
    // the merged order is the order of all 1,100 scores: best first, ties in input order
    const best = out.scores.map((score, index) => ({ index, score })).sort((a, b) => b.score - a.score || a.index - b.index).slice(0, 5);
    expect(out.results.map((x) => [x.index, x.score])).toEqual(best.map((x) => [x.index, x.score]));
  });
});
