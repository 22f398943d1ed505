/**
 * `vlrerank eval` off a terminal (a notebook's `!vlrerank eval`, a CI log, `2> log`): no bar can be
 * drawn, and a long run said nothing until its end (held-out probe round 14c: 5,000 queries). It
 * now writes a line at each tenth of the searches on stderr; stdout keeps the summary alone.
 * `--api` on 60 SciFact claims against 10 abstracts, the real text model, the CLI spawned (stderr a pipe).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { evalCli } from '../../helpers/eval-fixtures.js';
import { DATA, MODELS } from '../../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-eval-progress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('writes a progress line at each tenth of the searches on stderr when stderr is no terminal', { timeout: 600_000 }, async () => {
  const read = (f: string, n: number) => readFileSync(join(DATA, 'scifact-beir', f), 'utf8').split('\n').filter(Boolean).slice(0, n).join('\n');
  writeFileSync(join(dir, 'docs.jsonl'), read('corpus.jsonl', 10));
  writeFileSync(join(dir, 'q.jsonl'), read('queries.jsonl', 60));
  const { stdout, stderr } = await evalCli(['--api', '--models-dir', MODELS, '--log-level', 'silent', '--collection', join(dir, 'docs.jsonl'), '--queries', join(dir, 'q.jsonl')]);
  const lines = stderr.split('\n').filter((l) => l.startsWith('eval: '));
  expect(lines).toHaveLength(10);
  expect(lines[0]).toBe('eval: 6/60 searches (10 %)');
  expect(lines.at(-1)).toBe('eval: 60/60 searches (100 %)');
  expect(stdout).not.toContain('eval: ');
  expect(stdout).toContain('api window 10: 60 queries');
});
