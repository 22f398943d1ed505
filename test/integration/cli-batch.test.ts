/**
 * `vlrerank` in shell pipelines, cron and batch jobs (held-out probe round 16c), child processes of
 * the real CLI: output into a full disk (`> /dev/full`) is one line naming it and exit 1 (was an
 * uncaught exception's stack); a command run from another working folder — cron starts in $HOME —
 * names the pipelines folder it looked in, that it does not exist and why (was `no pipeline named
 * "grocery" in pipelines`), and `serve` started there warns that it reranks nothing (was silent);
 * an engine or proxy that does not answer exits 69 (EX_UNAVAILABLE, "try again later") with one line
 * naming what to check — it was 2, a usage mistake's code, so a retrying wrapper could not tell them apart;
 * `rerank --json`/`--jsonl` say which documents were scored without their media (`errors`, `error`)
 * and stderr how many — the JSON outputs dropped it, so `| jq` saw a missing photo as a score; a
 * bad flag value is blamed on the flag typed (`--port`), not on `--server.port`, which no command has;
 * a command offers only the flags it reads (`rerank --port`, `models list --upstream` were taken and
 * did nothing, listed in its help as "address to listen on"); `eval --json -` writes the JSON alone
 * on stdout and the summary on stderr (it wrote a file named "-" and the summary into the pipe).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS, REPO_ROOT } from '../helpers/paths.js';

// `--import tsx` is resolved from the working folder: name the loader by its path for a run elsewhere
const TSX = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const elsewhere = mkdtempSync(join(tmpdir(), 'vlr-cli-batch-'));
writeFileSync(join(elsewhere, 'q.jsonl'), '{"_id":"q1","text":"a dog"}\n');
writeFileSync(join(elsewhere, 'qrels.tsv'), 'q1\td1\t1\n');
writeFileSync(join(elsewhere, 'collection.jsonl'), '{"_id":"d1","text":"a dog on the grass"}\n{"_id":"d2","text":"a cat asleep"}\n');
afterAll(() => rmSync(elsewhere, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI with `args` from `cwd`; `stdout`: a file descriptor to write to instead of a pipe; `until`: kill it (SIGTERM) once stdout holds this. */
function cli(args: string[], opts: { cwd?: string; stdout?: number; until?: string; stdin?: string } = {}): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))), VLRERANK_MODELS_DIR: MODELS },
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', opts.stdout ?? 'pipe', 'pipe'],
    });
    child.stdin?.end(opts.stdin);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (opts.until && stdout.includes(opts.until)) child.kill('SIGTERM');
    });
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

// each case is its own child processes reading only the files written above (none writes where
// another looks): run side by side (one node + tsx start-up after another was nearly all of this
// file's time); a case's time then includes its neighbours' start-ups, hence 300 s as in cli-unix
// (the two reranks loading the text model met 120 s at a load average of 20)
describe('vlrerank in batch jobs', { timeout: 300_000, concurrent: true }, () => {
  it('output into a full disk: one line naming it, exit 1, no stack', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = await cli(['config', '--json'], { stdout: full });
      expect(r.stderr).toBe('vlrerank: cannot write the output: ENOSPC, no space left on the device (free some, or write it elsewhere)\n');
      expect(r.code).toBe(1);
    } finally {
      closeSync(full);
    }
  });

  it('run from another working folder: the pipelines folder it looked in is named, with why and the fix', async () => {
    const r = await cli(['index', 'setup', 'p16c-x', '--pipeline', 'grocery', '--upstream', 'http://127.0.0.1:9'], { cwd: elsewhere });
    expect(r.stderr).toBe(
      `vlrerank: no pipeline for index "p16c-x": the pipelines folder ${join(elsewhere, 'pipelines')} does not exist (pipelines.dir "pipelines" is relative to the working folder ${elsewhere}: run from the folder that holds it, or set pipelines.dir or VLRERANK_PIPELINES_DIR to an absolute path)\n`,
    );
    expect(r.code).toBe(2);
    // from the folder that holds it, the same command finds the pipeline (and then the engine is missing)
    const here = await cli(['index', 'setup', 'p16c-x', '--pipeline', 'grocery', '--upstream', 'http://127.0.0.1:9']);
    expect(here.stderr).not.toContain('pipelines folder');
  });

  it.each([
    ['index setup', ['index', 'setup', 'p16c-x', '--pipeline', 'grocery', '--upstream', 'http://127.0.0.1:9'], 'vlrerank: upstream http://127.0.0.1:9 unreachable: connect ECONNREFUSED 127.0.0.1:9'],
    ['eval --url', ['eval', '--url', 'http://127.0.0.1:9', '--index', 'p16c-x', '--queries', join(elsewhere, 'q.jsonl'), '--qrels', join(elsewhere, 'qrels.tsv')], 'vlrerank: cannot reach http://127.0.0.1:9'],
  ])('%s with nothing answering: exit 69, one line naming what to check', async (_name, args, first) => {
    const r = await cli(args);
    expect(r.stderr.startsWith(first), r.stderr).toBe(true);
    expect(r.stderr).toMatch(/\(check that it is up and its address is right, then run the command again\)\n$/);
    expect(r.stderr.split('\n')).toHaveLength(2); // one line
    expect(r.code).toBe(69);
    // a usage mistake keeps 2
    expect((await cli([...args, '--bogus'])).code).toBe(2);
  });

  it('rerank --json / --jsonl: a document whose photo is missing is named in the output and on stderr', async () => {
    const docs = `{"text":"a dog on the grass","image":"${join(elsewhere, 'missing.jpg')}"}\n"a cat asleep"\n`;
    const reason = `media file ${join(elsewhere, 'missing.jpg')} does not exist under the media roots`;
    const note = `vlrerank: 1 of 2 documents scored without their media (document 0: ${reason})\n`;
    const json = await cli(['rerank', '-q', 'a dog', '-d', '-', '--json'], { stdin: docs, cwd: elsewhere });
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { errors: unknown }).errors).toEqual([{ index: 0, type: 'resource_not_found_exception', code: 'VLR_NOT_FOUND', reason }]);
    expect(json.stderr).toBe(note);
    const lines = await cli(['rerank', '-q', 'a dog', '-d', '-', '--jsonl'], { stdin: docs, cwd: elsewhere });
    const byIndex = new Map(lines.stdout.trim().split('\n').map((l) => JSON.parse(l) as { index: number; error?: unknown }).map((r) => [r.index, r]));
    expect(byIndex.get(0)!.error).toEqual({ code: 'VLR_NOT_FOUND', reason });
    expect(byIndex.get(1)!).not.toHaveProperty('error');
    expect(lines.stderr).toBe(note);
  });

  it.each([
    [['config', '--port', '99999'], '--port', '--server.port'],
    [['config', '--log-level', 'verbose'], '--log-level', '--log.level'],
    [['serve', '--role', 'boss'], '--role', '--server.role'],
  ])('%j: the message names the flag typed', async (args, typed, internal) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`(${typed})`);
    expect(r.stderr).not.toContain(internal);
  });

  it.each([
    [['rerank', '-q', 'x', '-d', '-', '--port', '1'], '--port'],
    [['rerank', '-q', 'x', '-d', '-', '--upstream', 'http://127.0.0.1:9'], '--upstream'],
    [['models', 'list', '--upstream', 'http://127.0.0.1:9'], '--upstream'],
    [['index', 'setup', 'p16c-x', '--host', '0.0.0.0'], '--host'],
    [['eval', '--index', 'p16c-x', '--port', '1'], '--port'],
  ])('%j: a flag the command does not read is a usage mistake', async (args, flag) => {
    const r = await cli(args);
    expect(r.stderr.split('\n')[0]).toBe(`error: unknown option '${flag}'`);
    expect(r.code).toBe(2);
  });

  it('eval --json -: the JSON alone on stdout, the summary on stderr, no file named "-"', async () => {
    const r = await cli(['eval', '--api', '--collection', 'collection.jsonl', '--queries', 'q.jsonl', '--qrels', 'qrels.tsv', '--json', '-'], { cwd: elsewhere });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { mode: string; configs: Array<{ reranked: { ndcg10: number } }> };
    expect(out.mode).toBe('api');
    expect(out.configs[0]!.reranked.ndcg10).toBe(1);
    expect(r.stderr).toContain('vlrerank eval (api)');
    expect(existsSync(join(elsewhere, '-'))).toBe(false);
  });

  it('serve from another working folder warns that it reranks nothing', async () => {
    const r = await cli(['serve', '--port', '0', '--upstream', 'http://127.0.0.1:9'], { cwd: elsewhere, until: '"vlrerank listening"' });
    const warn = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.msg.startsWith('no rerank pipelines'));
    expect(warn?.level).toBe(40);
    expect(warn?.msg).toContain(`the pipelines folder ${join(elsewhere, 'pipelines')} does not exist`);
  });
});
