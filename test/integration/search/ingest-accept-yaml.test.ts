/**
 * A write whose client asks for YAML answers (`Accept: application/yaml`) into an index whose
 * pipeline keeps feature records gets its record, as a JSON client's write does. Before (held-out
 * probe round 4), vlrerank's own read of the index mapping, made with the client's headers, came
 * back as YAML, was taken for "no record field", and the documents were stored without records —
 * silently, `errors: false`. Real Elasticsearch 8.19 and real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { catalog, groceryDoc, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-accept-it';
const engine = 'elasticsearch' as const;

describe('writes from a client that asks for YAML (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  const doc = groceryDoc(catalog[1]!);
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('grocery')!, INDEX);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  /** The ids of documents holding a feature record and its signature. */
  async function withRecords(ids: string[]): Promise<string[]> {
    const r = await p.engine.json<any>('POST', `/${INDEX}/_search`, { size: ids.length, _source: false, query: { bool: { filter: [{ ids: { values: ids } }, { exists: { field: 'vlrerank_features_key' } }] } } });
    return r.body.hits.hits.map((h: any) => h._id).sort();
  }

  it('_doc and _bulk with Accept: application/yaml store the feature record, as with JSON', async () => {
    for (const [id, accept] of [['json', 'application/json'], ['yaml', 'application/yaml']] as const) {
      const r = await fetch(`${p.url}/${INDEX}/_doc/doc-${id}?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify(doc) });
      expect(r.status).toBe(201);
      const bulk = [JSON.stringify({ index: { _id: `bulk-${id}` } }), JSON.stringify(doc), ''].join('\n');
      const b = await fetch(`${p.url}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', accept }, body: bulk });
      expect(b.status).toBe(200);
      await b.text();
    }
    expect(await withRecords(['doc-json', 'doc-yaml', 'bulk-json', 'bulk-yaml'])).toEqual(['bulk-json', 'bulk-yaml', 'doc-json', 'doc-yaml']);
  });
});
