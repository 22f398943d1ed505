/**
 * The resolver searches and writes share (src/engine/targets.ts), on every real engine version:
 * what an alias, a wildcard and a comma list name (`_resolve/index`), the write index of an alias
 * (`_alias`), and its cache — one read per name, parameters and credentials within the cache time,
 * bounded (the least recently used answer dropped first), a failed read not kept, nothing kept with a zero cache time. Engine calls are
 * counted by a relay in front of the engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientReadHeaders, IndexTargets } from '../../../src/engine/targets.js';
import { UpstreamPool } from '../../../src/proxy/pool.js';
import { upstreamSchema } from '../../../src/config/schema.js';
import { ALL_VERSIONS, useEngine } from '../../helpers/engines.js';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { parsePipeline, PipelineRegistry } from '../../../src/pipelines/index.js';
import { mayDefaultNow } from '../../../src/search/resolve.js';

const A = 'targets-a-it';
const B = 'targets-b-it';
const AL = 'targets-alias-it'; // → A (write index), B

describe.each(ALL_VERSIONS)('what an index expression names (%s)', (name) => {
  let relay: CountingRelay;
  let pool: UpstreamPool;
  const json = (method: string, path: string, body?: object) => fetch(`${relay.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
  const o = (headers: string[] = []) => ({ pool, headers: clientReadHeaders(headers) });
  const lookups = () => relay.seen.filter((s) => s.includes('/_resolve/') || s.includes('/_alias/')).length;

  beforeAll(async () => {
    relay = await countingRelay(await useEngine(name));
    pool = new UpstreamPool(upstreamSchema.parse({ urls: [relay.url] }));
    await json('DELETE', `/${A},${B}`);
    for (const i of [A, B]) expect((await json('PUT', `/${i}`, { settings: { number_of_replicas: 0 } })).status).toBe(200);
    const r = await json('POST', '/_aliases', { actions: [{ add: { index: A, alias: AL, is_write_index: true } }, { add: { index: B, alias: AL } }] });
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await json('DELETE', `/${A},${B}`);
    await pool?.close();
    await relay?.close();
  });

  it('an alias, a wildcard, a list; a write index; nothing for what is not there', async () => {
    const t = new IndexTargets(0);
    expect(await t.searched(AL, undefined, o())).toEqual([A, B]);
    expect(await t.searched('targets-*-it', undefined, o())).toEqual([A, B]);
    expect(await t.searched(`${A},nothing-here-it`, new URLSearchParams('ignore_unavailable=true'), o())).toEqual([A]);
    expect(await t.searched('nothing-here-*', undefined, o())).toEqual([]);
    expect(await t.writeIndex(AL, o())).toBe(A);
    expect(await t.writeIndex(A, o())).toBeUndefined(); // a concrete index: not an alias
  });

  it('one read per name, parameters and credentials within the cache time; bounded; none kept at 0', async () => {
    const t = new IndexTargets(60_000, 2);
    const n0 = lookups();
    await t.searched(AL, undefined, o());
    await t.searched(AL, undefined, o());
    expect(lookups() - n0).toBe(1);
    await t.searched(AL, undefined, o(['authorization', 'Basic b3RoZXI6dXNlcg==']));
    await t.searched(AL, new URLSearchParams('expand_wildcards=all'), o());
    expect(lookups() - n0).toBe(3); // other credentials, other parameters: asked
    await t.searched(AL, undefined, o()); // the oldest of 2 kept answers was dropped by the third
    expect(lookups() - n0).toBe(4);
    const none = new IndexTargets(0);
    await none.searched(AL, undefined, o());
    await none.searched(AL, undefined, o());
    expect(lookups() - n0).toBe(6);
  });

  it('a failed read is not kept (asked again next time); an answer older than the cache time is asked again', async () => {
    const t = new IndexTargets(60_000);
    expect(await t.searched(AL, undefined, { ...o(), signal: AbortSignal.abort() })).toBeUndefined(); // the read never completes
    const n0 = lookups();
    expect(await t.searched(AL, undefined, o())).toEqual([A, B]);
    expect(await t.searched(AL, undefined, o())).toEqual([A, B]);
    expect(lookups() - n0).toBe(1); // the failure was not kept; the answer is
    const short = new IndexTargets(50);
    await short.searched(AL, undefined, o());
    expect(short.searchedNow(AL, undefined, [])).toEqual({ known: true, indices: [A, B] });
    await new Promise((r) => setTimeout(r, 120)); // past the cache time
    expect(short.searchedNow(AL, undefined, [])).toEqual({ known: false });
    const n1 = lookups();
    await short.searched(AL, undefined, o());
    expect(lookups() - n1).toBe(1);
  });

  it('a search body is read while a name might be a default pipeline\u2019s, and not once the engine said it is not', async () => {
    const registry = new PipelineRegistry([parsePipeline({ index_patterns: [A], default: true, fields: { text: ['t'] } }, 'pipelines/a.yaml')]);
    const targets = new IndexTargets(60_000);
    const deps = { pipelines: registry, pool, targets };
    const P = new URLSearchParams();
    expect(mayDefaultNow(deps, B, P, [])).toBe(true); // not asked yet: B might be an alias of A
    expect(await targets.searched(B, P, o())).toEqual([B]);
    expect(mayDefaultNow(deps, B, P, [])).toBe(false); // the engine said: B is an index of no pipeline
    expect(mayDefaultNow(deps, B, P, ['authorization', 'Basic b3RoZXI6dXNlcg=='])).toBe(true); // not for other credentials
    await targets.searched(AL, P, o());
    expect(mayDefaultNow(deps, AL, P, [])).toBe(false); // A and B: no one pipeline
    const onlyA = 'targets-only-a-it';
    expect((await json('POST', '/_aliases', { actions: [{ add: { index: A, alias: onlyA } }] })).status).toBe(200);
    await targets.searched(onlyA, P, o());
    expect(mayDefaultNow(deps, onlyA, P, [])).toBe(true);
  });
});
