/**
 * `vlrerank index backfill` into an index under the flood-stage block (`index.blocks.read_only_allow_delete`,
 * set by hand on the test's own index): the engine refuses each write with 429 and a
 * `cluster_block_exception` — a block, not a full write queue. The run waited it out as "engine
 * busy" (2+4+8+16 s) and stopped saying only "refused … with 429 (too many requests) 6 times in a
 * row", never the engine's reason (held-out probe round 29d). Now it stops at once in the engine's
 * words, writes nothing, and once the block is lifted a second run records every document; a third
 * finds nothing left. The CLI as a user runs it, real models, Elasticsearch 8.19 itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { indexCli } from '../../helpers/index-cli.js';

const INDEX = 'r29d-backfill-flood-block';
let engine: string;

const cli = (args: string[]) => indexCli(engine, args);

const json = (method: string, path: string, body?: unknown) =>
  fetch(`${engine}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
const recorded = async () => ((await (await json('POST', `/${INDEX}/_count`, { query: { exists: { field: 'vlrerank_features_key' } } })).json()) as { count: number }).count;

describe('vlrerank index backfill under the flood-stage block', () => {
  beforeAll(async () => {
    engine = await useEngine('elasticsearch');
    await json('DELETE', `/${INDEX}`);
    expect((await cli(['setup', INDEX])).code).toBe(0);
    const docs = ['oat milk', 'oat drink', 'red apple', 'oat flakes', 'green tea', 'black coffee'];
    const nd = docs.flatMap((t, i) => [JSON.stringify({ index: { _id: String(i) } }), JSON.stringify({ title: t, text: `${t}, a grocery item` })]).join('\n') + '\n';
    await fetch(`${engine}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
  }, 300_000);
  afterAll(async () => {
    await json('PUT', `/${INDEX}/_settings`, { 'index.blocks.read_only_allow_delete': null });
    await json('DELETE', `/${INDEX}`);
  });

  it('stops at once naming the block in the engine\'s words; resumes after it is lifted', { timeout: 600_000 }, async () => {
    expect((await json('PUT', `/${INDEX}/_settings`, { 'index.blocks.read_only_allow_delete': true })).status).toBe(200);
    const blocked = await cli(['backfill', INDEX, '--batch', '3', '--concurrency', '1', '--no-ceiling']);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain(`writing feature records into [${INDEX}] failed: cluster_block_exception: index [${INDEX}] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark`);
    expect(blocked.stderr).not.toContain('engine busy');
    expect(await recorded()).toBe(0);

    expect((await json('PUT', `/${INDEX}/_settings`, { 'index.blocks.read_only_allow_delete': null })).status).toBe(200);
    const lifted = await cli(['backfill', INDEX, '--batch', '3', '--concurrency', '1', '--no-ceiling']);
    expect(lifted.code).toBe(0);
    expect(lifted.stdout).toContain(`${INDEX}: 6 documents got their feature record`);
    expect(await recorded()).toBe(6);
    const again = await cli(['backfill', INDEX, '--batch', '3', '--concurrency', '1', '--no-ceiling']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${INDEX}: 0 documents got their feature record`);
    expect(await recorded()).toBe(6);
  });
});
