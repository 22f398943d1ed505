/**
 * `vlrerank rerank` end to end as a child process: a JSONL file of mixed documents (JSON strings,
 * objects with image paths relative to the file, plain-text lines), JSON output and the table.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { DATA, MODELS, REPO_ROOT } from '../../helpers/paths.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vlr-cli-'));
const img = (n: string) => join(DATA, 'skimage-clip-smoke/images', n);
writeFileSync(join(dir, 'docs.jsonl'), [JSON.stringify({ image: img('rocket.jpg') }), JSON.stringify('a kitten on a sofa'), 'a cup of hot coffee', JSON.stringify({ image: img('coffee.png') })].join('\n'));
const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'rerank', '--models-dir', MODELS, '--log-level', 'silent', '--docs', join(dir, 'docs.jsonl'), ...args], {
    cwd: REPO_ROOT,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))),
    timeout: 240_000,
  });

it('prints JSON results for a text query over mixed documents', { timeout: 300_000 }, async () => {
  const { stdout } = await cli('--query', 'a cup of coffee', '--json', '--top', '2');
  const out = JSON.parse(stdout);
  expect(out.results).toHaveLength(2);
  expect(out.scores).toHaveLength(4);
  expect([2, 3]).toContain(out.results[0].index);
  expect(out.results.every((r: any) => r.score > out.scores[0])).toBe(true);
});

it('prints a ranked table, and a usage error without a query', { timeout: 300_000 }, async () => {
  const { stdout } = await cli('--query', 'a rocket');
  expect(stdout).toMatch(/rank\s+score\s+doc\s+document/);
  expect(stdout.split('\n')[2]).toContain('rocket.jpg');
  await expect(cli()).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('give a query') });
});
