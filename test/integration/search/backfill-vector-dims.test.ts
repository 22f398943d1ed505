/**
 * `vlrerank index backfill` into an index that maps the pipeline's image vector at other dims (8, where
 * the pipeline writes 1280): every write of it is refused by the engine. The run computed its first
 * page's vectors (and records) before the engine's mapping error stopped it (held-out probe round
 * 29d, left), where `index setup` names the mismatch before writing anything. Now backfill reads the
 * mapping first with setup's own check and stops before any model work, in setup's words (exit 2),
 * leaving the documents as they were — on both backfill paths: vectors only (the index keeps no
 * records) and records. The CLI as a user runs it, real models, Elasticsearch 8.19 itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { indexCli } from '../../helpers/index-cli.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, groceryDoc, pipelinesDir } from '../../helpers/search-fixtures.js';

const RECORDS = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
  .replace(/^name: grocery$/m, 'name: f29bbf')
  .replace(/^index_patterns: .*$/m, 'index_patterns: [f29b-bf-*]') + '\nfeatures:\n  store: index\n';
const dir = pipelinesDir({ 'f29bbf.yaml': RECORDS });

const CASES = [
  { path: 'vectors only', pipeline: 'grocery', index: 'f29b-bf-dims-v', mappings: {} },
  {
    path: 'records',
    pipeline: 'f29bbf',
    index: 'f29b-bf-dims-r',
    mappings: { _source: { excludes: ['vlrerank_features', 'vlrerank_features_key'] }, properties: { vlrerank_features: { type: 'binary', store: true }, vlrerank_features_key: { type: 'keyword' } } },
  },
] as const;

let engine: string;
const json = (method: string, path: string, body?: unknown) =>
  fetch(`${engine}${path}`, { method, headers: { 'content-type': body === undefined || typeof body === 'object' ? 'application/json' : 'application/x-ndjson' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });

beforeAll(async () => {
  engine = await useEngine('elasticsearch');
}, 300_000);
afterAll(async () => {
  for (const c of CASES) await json('DELETE', `/${c.index}`);
});

describe.each(CASES)('vlrerank index backfill into an index mapping the vector at other dims ($path)', (c) => {
  it('stops before any model work in index setup\'s words; nothing written', { timeout: 600_000 }, async () => {
    await json('DELETE', `/${c.index}`);
    const mappings = { ...c.mappings, properties: { ...('properties' in c.mappings ? c.mappings.properties : {}), image_vector: { type: 'dense_vector', dims: 8 } } };
    expect((await json('PUT', `/${c.index}`, { mappings })).status).toBe(200);
    const nd = catalog.slice(20, 23).flatMap((d, i) => [JSON.stringify({ index: { _id: `d${i}` } }), JSON.stringify(groceryDoc(d))]).join('\n') + '\n';
    expect((await json('POST', `/${c.index}/_bulk?refresh=true`, nd)).status).toBe(200);
    const before = await (await json('POST', `/${c.index}/_search`, { sort: ['_doc'], seq_no_primary_term: true })).json();

    const setup = await indexCli(engine, ['setup', c.index], { pipeline: c.pipeline, pipelinesDir: dir });
    expect(setup.code).toBe(2);
    const words = `index [${c.index}] maps [image_vector] as dense_vector of 8 dims where the pipeline writes dense_vector of 1280 dims`;
    expect(setup.stderr).toContain(words);

    const run = await indexCli(engine, ['backfill', c.index, '--batch', '3', '--concurrency', '1', '--no-ceiling'], { pipeline: c.pipeline, pipelinesDir: dir });
    expect(run.code).toBe(2);
    // setup's very sentence
    expect(run.stderr).toContain(setup.stderr.trim());
    expect(run.stdout).not.toMatch(/documents got/);
    // the documents as they were (no write, no version moved)
    const after = await (await json('POST', `/${c.index}/_search`, { sort: ['_doc'], seq_no_primary_term: true })).json();
    expect(after.hits.hits).toEqual(before.hits.hits);
  });
});
