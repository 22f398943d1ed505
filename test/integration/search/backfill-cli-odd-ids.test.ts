/**
 * Held-out probe round 29b: `vlrerank index backfill` names each document whose media it could not
 * read by its `_id` and the reason — both the index's own text. Printed as they were, an id holding
 * a newline split the line in two (`  a\u0001b\tc` then `d: media file …`) and one holding
 * `\x1b[2J` cleared the terminal. They are now written escaped, as `vlrerank eval` writes ids
 * (eval/terminal-text.ts), one line per document. Elasticsearch 8.19, the CLI as a user runs it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { DATA, MODELS, REPO_ROOT } from '../../helpers/paths.js';
import { catalog, groceryDoc } from '../../helpers/search-fixtures.js';

const INDEX = 'p29b-t-backfill-ids';
const IDS = ['clear\u001b[2Jscreen', 'two\nlines', 'tab\there'];
let url: string;

beforeAll(async () => {
  url = await useEngine('elasticsearch');
  await fetch(`${url}/${INDEX}`, { method: 'DELETE' });
});
afterAll(async () => {
  await fetch(`${url}/${INDEX}`, { method: 'DELETE' });
});

it('prints each failed document on one line, its id and media path escaped', { timeout: 900_000 }, async () => {
  const env = { ...process.env, VLRERANK_UPSTREAM: url, VLRERANK_MODELS_DIR: MODELS, VLRERANK_MEDIA_ROOTS: DATA, VLRERANK_PIPELINES_DIR: join(REPO_ROOT, 'pipelines'), VLRERANK_LOG_LEVEL: 'silent' };
  const cli = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'index', ...args, '--pipeline', 'grocery'], { cwd: REPO_ROOT, env, timeout: 600_000 });
  await cli(['setup', INDEX]);
  // each document's photo is missing, its path holding the id too
  const nd = IDS.flatMap((id) => [JSON.stringify({ index: { _id: id } }), JSON.stringify({ ...groceryDoc(catalog[0]!), image: join(DATA, `gone-${id}.jpg`) })]).join('\n') + '\n';
  const bulk = (await (await fetch(`${url}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd })).json()) as { errors: boolean };
  expect(bulk.errors).toBe(false);
  const { stdout } = await cli(['backfill', INDEX, '--no-ceiling']);
  expect(stdout).toContain(`${INDEX}: 0 documents got their feature record, 3 only part of it`);
  expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/); // eslint-disable-line no-control-regex
  const lines = stdout.split('\n').filter((l) => l.startsWith('  '));
  expect(lines).toHaveLength(3);
  for (const shown of ['clear\\x1b[2Jscreen', 'two\\x0alines', 'tab\\x09here']) {
    const line = lines.find((l) => l.startsWith(`  ${shown}: `));
    expect(line, shown).toBeDefined();
    expect(line).toContain(`gone-${shown}.jpg`);
  }
});
