/** Held-out probe round 29b: helpers — the proxy, the engine, indices made with `index setup`, the odd ids. */
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { indexSetup } from './grocery-copy.js';
import { call } from './p28b-lib.js';

export const BASE = process.env.P29B_BASE ?? 'http://127.0.0.1:19680';
export const ENGINE = process.env.P29B_ENGINE ?? 'http://127.0.0.1:19200';
export const TMP = '/tmp/p29b';
export { BANANA, G, MILK } from './p28b-lib.js';
export const es = new Client({ node: BASE });
export const direct = new Client({ node: ENGINE });

/** Legal ids of odd shapes (each ≤ 512 bytes). */
export const IDS: Record<string, string> = {
  slash: 'SKU/123/a', hash: 'SKU#1', q: 'a?b=c&d', pct: '100%', pct20: 'a%20b', plus: 'a+b', space: 'a b', spaces: '  lead',
  nfc: 'caf\u00e9', nfd: 'cafe\u0301', emoji: '🍌👨‍👩‍👧', num: '007', num2: '7', caseA: 'SKU-abc', caseB: 'sku-ABC',
  dots: '..', dot: '.', ctl: 'a\u0001b\tc\nd', bs: 'a\\b"c', zw: 'x\u200by', rtl: 'מוצר-1', long: 'L'.repeat(512), long4: '🍌'.repeat(128),
  colon: 'urn:x:1', comma: 'a,b', star: 'a*', star2: '*', semicolon: 'a;b', uni: '日本語/商品', sur: '\ud83c\udf4c', null0: 'a\u0000b',
};

export { call };

/**
 * `index setup` of `index` for pipeline `name`, then `properties` added; with `shards`, the index is
 * made first with them and its `properties` (`index setup` then adds the vector fields, not the
 * record field: such an index keeps no records).
 */
export async function setup(name: string, index: string, properties: Record<string, unknown> = { tags: { type: 'text' } }, shards?: number): Promise<void> {
  const path = `/${encodeURIComponent(index)}`;
  await call(ENGINE, 'DELETE', path);
  if (shards) {
    const pre = await call(ENGINE, 'PUT', path, { settings: { number_of_shards: shards, number_of_replicas: 0 }, mappings: { properties } });
    if (pre.status !== 200) throw new Error(pre.text);
  }
  await indexSetup(ENGINE, join(TMP, 'pipes'), name, index);
  const m = await call(ENGINE, 'PUT', `${path}/_mapping`, { properties });
  if (m.status !== 200) throw new Error(m.text);
}
