/**
 * A write into an index that keeps feature records asks the engine for the index's `_mapping` (does
 * it map the record field as setup makes it?). When the engine cut that read, the documents were
 * stored without their records, unsaid (held-out probe round 8a). Now the read is tried once more;
 * cut twice, the documents are still written (with their vectors) and each `_bulk` item, or the
 * `_doc` answer, says in `vlrerank.error` why it has no record. Real Elasticsearch 8.19, real
 * models, the official client; the cut is played by a relay in front of the engine
 * (`faultyEngineRelay`), named after the fault.
 */
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';
import { faultyEngineRelay, type FaultyRelay } from '../../helpers/upstream-fakes.js';

const INDEX = 'r9-mapping-read-cut';
const FIELD = 'vlrerank_features';

let engine: string;
let relay: FaultyRelay;
let srv: RunningServer;
let client: Client;

beforeAll(async () => {
  engine = await useEngine('elasticsearch');
  await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
  const mappings = { _source: { excludes: [FIELD, `${FIELD}_key`] }, properties: { title: { type: 'text' }, [FIELD]: { type: 'binary', store: true }, [`${FIELD}_key`]: { type: 'keyword' } } };
  expect((await fetch(`${engine}/${INDEX}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mappings }) })).status).toBe(200);
  relay = await faultyEngineRelay(engine);
  srv = await startEdgeServer({
    upstream: relay.url,
    pipelinesDir: onlyPipelines({ 'r.yaml': `name: r9-mapping-cut\nindex_patterns: [${INDEX}]\nfields: {text: [title]}\nfeatures: {store: index}\n` }),
    // every write reads the mapping (none kept between writes), so each cut the relay plays is met:
    // a `_doc` within a second of an earlier write's good read would take that answer instead
    pipelines: { mappingCacheMs: 0 },
  });
  client = new Client({ node: srv.url, maxRetries: 0, requestTimeout: 120_000 });
});

afterAll(async () => {
  await srv?.close();
  await relay?.close();
  await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
});

const hasRecord = async (id: string) => {
  const r = (await (await fetch(`${engine}/${INDEX}/_doc/${id}?stored_fields=${FIELD}`)).json()) as { found: boolean; fields?: Record<string, unknown> };
  expect(r.found).toBe(true);
  return r.fields?.[FIELD] !== undefined;
};

describe('the _mapping read of a write cut by the engine', () => {
  it('cut once: read again, the documents get their records', { timeout: 120_000 }, async () => {
    relay.arm('close-mid-answer', '/_mapping');
    const b = (await client.bulk({ refresh: true, operations: [{ index: { _index: INDEX, _id: '1' } }, { title: 'oat drink' }, { index: { _index: INDEX, _id: '2' } }, { title: 'red apple' }] })) as any;
    expect(b.errors).toBe(false);
    expect(b.vlrerank).toMatchObject({ documents_with_feature_records: 2 });
    expect(await hasRecord('1')).toBe(true);
    expect(await hasRecord('2')).toBe(true);
  });

  it('cut twice: a _bulk stores its documents and each item says why it has no record', { timeout: 120_000 }, async () => {
    relay.arm('close-mid-answer', '/_mapping', 2);
    const b = (await client.bulk({ refresh: true, operations: [{ index: { _index: INDEX, _id: '3' } }, { title: 'oat milk' }, { index: { _index: INDEX, _id: '4' } }, { title: 'oat flakes' }] })) as any;
    expect(b.errors).toBe(false);
    for (const it of b.items) {
      expect(it.index.status).toBe(201);
      expect(it.index.vlrerank?.error?.reason).toMatch(/^feature record not added: the engine could not tell whether index \[r9-mapping-read-cut\] keeps feature records \(its _mapping read failed twice\)/);
    }
    expect(await hasRecord('3')).toBe(false);
    expect(await hasRecord('4')).toBe(false);
  });

  it('cut twice: a _doc is written and its answer says why it has no record', { timeout: 120_000 }, async () => {
    relay.arm('close-mid-answer', '/_mapping', 2);
    const r = (await client.index({ index: INDEX, id: '5', document: { title: 'oat bar' }, refresh: true })) as any;
    expect(r.result).toBe('created');
    expect(r.vlrerank?.error?.reason).toMatch(/^feature record not added: the engine could not tell whether index \[r9-mapping-read-cut\] keeps feature records/);
    expect(await hasRecord('5')).toBe(false);
    // the engine answering again: the next write gets its record
    await client.index({ index: INDEX, id: '6', document: { title: 'oat bar' }, refresh: true });
    expect(await hasRecord('6')).toBe(true);
  });
});
