/**
 * `vlrerank index setup --write-template` (fix21b; round 19b / fix21a left it printed only): a
 * rollover alias whose index template does not map the pipeline's fields keeps what setup adds only
 * in the indices there now. Without the flag setup says so and prints the component template,
 * writing nothing; with it, it PUTs `_component_template/<pipeline>-vlrerank`, adds it to the
 * matching index template's `composed_of` (the highest priority one, the rest of it unchanged), and
 * the next index made by a rollover maps the record field as `index setup` maps a new index. The
 * engine's own (`_meta.managed`) template is refused, unchanged. Real Elasticsearch 8.19 and
 * OpenSearch 2.19, the CLI as a user runs it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { ENGINES } from '../../helpers/search-fixtures.js';

const run = promisify(execFile);
const PIPELINES = mkdtempSync(join(tmpdir(), 'f21b-tpl-'));
writeFileSync(join(PIPELINES, 'f21b-tpl.yaml'), `name: f21b-tpl\nindex_patterns: [f21b-tpl-*]\nfailure: fail_open\nfields: {text: [title]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: index}\n`);
const FIELD = 'vlrerank_features';

describe.each(ENGINES)('index setup --write-template on %s', (engine) => {
  let url: string;
  const json = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: (await r.json().catch(() => undefined)) as any };
  };
  const cli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'index', 'setup', ...args], { cwd: REPO_ROOT, env: { ...process.env, VLRERANK_UPSTREAM: url, VLRERANK_PIPELINES_DIR: PIPELINES, VLRERANK_LOG_LEVEL: 'silent' }, timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };
  const clean = async () => {
    for (const i of ['f21b-tpl-cat-000001', 'f21b-tpl-cat-000002', 'f21b-tpl-log-000001']) await json('DELETE', `/${i}`); // by name: Elasticsearch refuses a wildcard delete
    for (const t of ['f21b-tpl', 'f21b-tpl-low', 'f21b-tpl-managed']) await json('DELETE', `/_index_template/${t}`);
    await json('DELETE', '/_component_template/f21b-tpl-vlrerank');
  };
  const TEMPLATE = { index_patterns: ['f21b-tpl-cat-*'], priority: 500, _meta: { owner: 'the user' }, template: { settings: { number_of_replicas: 0 }, mappings: { properties: { title: { type: 'text' } } } } };
  const recordMapped = async (index: string) => {
    const m = await json('GET', `/${index}/_mapping`);
    const mappings = m.body[index].mappings;
    return { field: mappings.properties?.[FIELD], excluded: (mappings._source?.excludes ?? []).includes(FIELD) };
  };
  beforeAll(async () => {
    url = await useEngine(engine);
    await clean();
  });
  afterAll(async () => {
    await clean();
  });

  it('prints without the flag, writes with it; the next index maps the record field', { timeout: 300_000 }, async () => {
    expect((await json('PUT', '/_index_template/f21b-tpl', TEMPLATE)).status).toBe(200);
    // a lower-priority template that also matches: not the one the engine makes the index from
    expect((await json('PUT', '/_index_template/f21b-tpl-low', { index_patterns: ['f21b-tpl-*'], priority: 1 })).status).toBe(200);
    expect((await json('PUT', '/f21b-tpl-cat-000001', { aliases: { 'f21b-tpl-cat': { is_write_index: true } } })).status).toBe(200);

    const printed = await cli('f21b-tpl-cat');
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stderr).toContain('PUT _component_template/f21b-tpl-vlrerank');
    expect(printed.stderr).toContain('--write-template');
    expect((await json('GET', '/_component_template/f21b-tpl-vlrerank')).status).toBe(404); // printed only

    const wrote = await cli('f21b-tpl-cat', '--write-template');
    expect(wrote.code, wrote.stderr).toBe(0);
    expect(wrote.stderr).toMatch(/wrote component template \[f21b-tpl-vlrerank\] and added it to the composed_of of index template \[f21b-tpl\]/);
    const comp = await json('GET', '/_component_template/f21b-tpl-vlrerank');
    expect(comp.status).toBe(200);
    const tpl = (await json('GET', '/_index_template/f21b-tpl')).body.index_templates[0].index_template;
    expect(tpl.composed_of).toEqual(['f21b-tpl-vlrerank']);
    expect(tpl).toMatchObject({ index_patterns: TEMPLATE.index_patterns, priority: 500, _meta: TEMPLATE._meta, template: { mappings: TEMPLATE.template.mappings } }); // the rest unchanged
    expect((await json('GET', '/_index_template/f21b-tpl-low')).body.index_templates[0].index_template.composed_of ?? []).toEqual([]);

    // the existing index did not get the record field (only creation sets _source.excludes); the next one does
    expect((await recordMapped('f21b-tpl-cat-000001')).excluded).toBe(false);
    expect((await json('POST', '/f21b-tpl-cat/_rollover')).status).toBe(200);
    const next = await recordMapped('f21b-tpl-cat-000002');
    expect(next.field).toMatchObject({ type: 'binary', store: true });
    expect(next.excluded).toBe(true);

    // run again: nothing left to say or write
    const again = await cli('f21b-tpl-cat', '--write-template');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('_component_template');
    expect((await json('GET', '/_index_template/f21b-tpl')).body.index_templates[0].index_template.composed_of).toEqual(['f21b-tpl-vlrerank']);
  });

  it("the engine's own template (_meta.managed) is refused and left unchanged", { timeout: 300_000 }, async () => {
    await clean();
    const managed = { index_patterns: ['f21b-tpl-log-*'], priority: 500, _meta: { managed: true }, template: { mappings: { properties: { title: { type: 'text' } } } } };
    expect((await json('PUT', '/_index_template/f21b-tpl-managed', managed)).status).toBe(200);
    expect((await json('PUT', '/f21b-tpl-log-000001', { aliases: { 'f21b-tpl-log': { is_write_index: true } } })).status).toBe(200);
    const r = await cli('f21b-tpl-log', '--write-template');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/index template \[f21b-tpl-managed\] is the engine's own \(_meta\.managed: true/);
    expect((await json('GET', '/_component_template/f21b-tpl-vlrerank')).status).toBe(404);
    expect((await json('GET', '/_index_template/f21b-tpl-managed')).body.index_templates[0].index_template.composed_of ?? []).toEqual([]);
  });
});
