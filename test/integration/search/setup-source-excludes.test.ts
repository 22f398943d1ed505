/**
 * `vlrerank index setup` on an index made beforehand whose mapping leaves a pipeline's field out of
 * `_source` (`excludes`, an `includes` without it, `enabled: false`) says so in a note: a search reads
 * each hit's fields from `_source`, so a document without a usable record is reranked without them
 * — the knowledge base's abstracts excluded, on their titles alone — and nothing said it (held-out
 * probe round 17b). An index keeping them says nothing of the kind. Real Elasticsearch 8.19 and
 * OpenSearch 2.19.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { EngineClient } from '../../../src/engine/client.js';
import { setupIndex } from '../../../src/engine/mapping.js';
import { loadPipelines, PipelineRegistry } from '../../../src/pipelines/index.js';
import { UpstreamPool } from '../../../src/proxy/pool.js';
import { useEngine, type EngineName } from '../../helpers/engines.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const kb = new PipelineRegistry(loadPipelines(join(REPO_ROOT, 'pipelines'))).get('knowledge-base')!; // fields.text [title, text]
const INDEX = 'p17b-setup-source-it';
const properties = { title: { type: 'text' }, text: { type: 'text' } };

describe.each(['elasticsearch', 'opensearch'] as EngineName[])('index setup on an index leaving pipeline fields out of _source (%s)', (name) => {
  let pool: UpstreamPool | undefined;
  const engine = async () => new EngineClient((pool ??= new UpstreamPool(parseConfig({ upstream: { urls: [await useEngine(name)] } }).upstream)));
  afterAll(async () => {
    await (await engine()).json('DELETE', `/${INDEX}`);
    await pool?.close();
  });

  it('names the fields a search cannot read', async () => {
    const e = await engine();
    const cases: Array<[Record<string, unknown> | undefined, string | undefined]> = [
      [{ excludes: ['text'] }, '[text]'],
      [{ includes: ['title'] }, '[text]'],
      [{ enabled: false }, '[title, text]'],
      [undefined, undefined],
    ];
    for (const [source, named] of cases) {
      await e.json('DELETE', `/${INDEX}`);
      const c = await e.json('PUT', `/${INDEX}`, { mappings: { ...(source ? { _source: source } : {}), properties } });
      expect(c.statusCode, JSON.stringify(c.body)).toBe(200);
      const r = await setupIndex(e, kb, INDEX);
      const note = (r.notes ?? []).find((n) => n.includes('out of _source, which a search reads'));
      if (named === undefined) expect(note, JSON.stringify(r.notes)).toBeUndefined();
      else expect(note, `${JSON.stringify(source)}: ${JSON.stringify(r.notes)}`).toContain(`leaves ${named} out of _source`);
    }
  });
});
