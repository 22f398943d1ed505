/**
 * `vlrerank eval --url` naming the engine instead of a vlrerank in front of it (held-out eval probe
 * round): each engine refuses the `ext.vlrerank` block in its own words — Elasticsearch 8.19 and
 * OpenSearch "unknown named object category [….SearchExtBuilder]", Elasticsearch 9.2 "unknown field
 * [vlrerank]" — which the CLI printed as they were. Now the message also says what is likely wrong.
 * The real CLI against each real engine; no vlrerank, no model.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_VERSIONS, useEngine } from '../../helpers/engines.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vlr-eval-engine-'));
writeFileSync(join(dir, 'q.jsonl'), `${JSON.stringify({ _id: 'q1', text: 'apple' })}\n`);
const INDEX = 'eval-url-engine';

afterAll(async () => {
  for (const engine of ALL_VERSIONS) await fetch(`${await useEngine(engine)}/${INDEX}`, { method: 'DELETE' });
});

describe('eval --url naming the engine', { timeout: 300_000 }, () => {
  it.each(ALL_VERSIONS)('%s: the engine\'s refusal, and what is likely wrong; exit 2', async (engine) => {
    const url = await useEngine(engine);
    await fetch(`${url}/${INDEX}`, { method: 'PUT' }); // 200, or 400 when it is there already
    const e = (await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'eval', '--url', url, '--index', INDEX, '--queries', join(dir, 'q.jsonl')], {
      cwd: REPO_ROOT,
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))),
    }).then(
      () => undefined,
      (x: unknown) => x,
    )) as { code: number; stderr: string };
    expect(e?.code).toBe(2);
    expect(e.stderr).toMatch(/SearchExtBuilder|unknown field \[vlrerank\]/);
    expect(e.stderr).toContain(`is ${url} the engine itself? --url names a vlrerank proxy in front of it`);
  });
});
