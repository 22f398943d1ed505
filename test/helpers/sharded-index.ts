/**
 * Test helper: an index of several shards with the mapping `vlrerank index setup` makes for a
 * pipeline (setup itself creates one shard), and a routing that puts a document on another shard
 * than its id alone would — for tests of routed documents, which a one-shard index cannot tell
 * apart from unrouted ones.
 */
import type { EngineClient } from '../../src/engine/client.js';
import { setupIndex } from '../../src/engine/mapping.js';
import type { Pipeline } from '../../src/pipelines/index.js';

/** (Re)creates `index` with `shards` shards and the mapping setup writes for `pipeline`. */
export async function createShardedIndex(engine: EngineClient, pipeline: Pipeline, index: string, shards = 3): Promise<void> {
  const tmp = `${index}-tmp`;
  await engine.json('DELETE', `/${tmp}`);
  await setupIndex(engine, pipeline, tmp);
  const mappings = (await engine.json<any>('GET', `/${tmp}/_mapping`)).body[tmp].mappings;
  await engine.json('DELETE', `/${tmp}`);
  await engine.json('DELETE', `/${index}`);
  const r = await engine.json('PUT', `/${index}`, { settings: { number_of_shards: shards, number_of_replicas: 0 }, mappings });
  if (r.statusCode !== 200) throw new Error(`creating ${index} answered ${r.statusCode}: ${JSON.stringify(r.body)}`);
}

/** A routing value that puts document `id` of `index` on another shard than its id alone would. */
export async function routingOffShard(engine: EngineClient, index: string, id: string): Promise<string> {
  for (const r of 'abcdefghijklmnopqrstuvwxyz') {
    await engine.json('PUT', `/${index}/_doc/${id}?routing=${r}&refresh=true`, { probe: 1 });
    const found = (await engine.json<any>('GET', `/${index}/_doc/${id}`)).body.found;
    await engine.json('DELETE', `/${index}/_doc/${id}?routing=${r}&refresh=true`);
    if (!found) return r;
  }
  throw new Error(`no routing moves ${id} off its shard`);
}
