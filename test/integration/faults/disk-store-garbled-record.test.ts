/**
 * A feature record garbled on disk — one byte of its vectors flipped in `features.mdb`, as bit rot,
 * a torn page or a stray write into a folder several processes share would — is detected and
 * recomputed, never scored. Before, LMDB handed the bytes back intact as far as it knew, the codec
 * found its magic, header and lengths right and decoded a plausible vector with one component off
 * (by 1,228 in the round's probe): a server restarted on the folder answered other scores than the
 * one that wrote it, and said nothing (held-out probe round 24c). Real servers, real models, the
 * real LMDB file damaged between two lives. Such a record's lookup is an error, not a hit too (health and
 * `vlrerank_feature_lookups_total` counted both, the same round).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { counterSum } from '../../helpers/metrics.js';
import { startColdServer } from '../../helpers/rerank-server.js';
import { diskTierHealth, tempStoreDir } from '../../helpers/store.js';

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const stamp = Date.now();
const request = {
  query: `a cat on a sofa ${stamp}`,
  documents: [`a sleeping cat ${stamp}`, `a red bus ${stamp}`, { text: `a photo ${stamp}`, image: 'coco-captions-mini/images/val2017/000000011813.jpg' }],
};

async function scores(srv: RunningServer): Promise<number[]> {
  const res = await fetch(`${srv.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  const body = (await res.json()) as { results: Array<{ index: number; relevance_score: number }> };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.results.sort((a, b) => a.index - b.index).map((r) => r.relevance_score);
}

/** Flip the high byte of one vector component in every stored part that has vectors ("VLF" + version, header length at 4): live records and the stale copies copy-on-write left in free pages; how many. */
function garbleEveryRecord(file: string): number {
  const buf = readFileSync(file);
  let n = 0;
  for (let at = buf.indexOf('VLF'); at >= 0; at = buf.indexOf('VLF', at + 3)) {
    const headLen = buf.readUInt32LE(at + 4);
    const afterHead = at + 8 + (buf[at + 3] === 1 ? 0 : 4) + headLen;
    if (headLen > 100_000 || afterHead + 64 > buf.length || !/"\$f(16|32)":0,/.test(buf.toString('utf8', afterHead - headLen, afterHead))) continue; // a part with vectors: they follow its header
    buf[afterHead + 41]! ^= 0x40; // a float16's exponent bits (or a float32's): the value changes by orders of magnitude
    n++;
  }
  writeFileSync(file, buf);
  return n;
}

it('a garbled record on disk is recomputed, not scored: a restarted server answers what the first did', { timeout: 300_000 }, async () => {
  const dir = tempStoreDir('garbled');
  cleanups.push(dir.cleanup);
  const first = await startColdServer([], { 'store.disk.path': dir.path });
  const before = await scores(first);
  await first.close(); // its writes are on disk once it has closed

  const garbled = garbleEveryRecord(join(dir.path, 'features.mdb'));
  expect(garbled).toBeGreaterThanOrEqual(5); // 5 text vectors, the photo's classification

  const again = await startColdServer(cleanups, { 'store.disk.path': dir.path });
  const after = await scores(again);
  expect(after).toEqual(before);
  expect(await counterSum(again.url, 'vlrerank_model_runs_total', { model: 'bge-small-en-v1.5' })).toBeGreaterThan(0); // recomputed
  // each damaged record counted as its lookup's error — not as a hit as well (the hit ratio said 100 % disk hits while every record was recomputed)
  const disk = await diskTierHealth(again.url);
  expect(disk.errors).toBeGreaterThanOrEqual(5);
  expect(disk.hits).toBeLessThan(disk.errors); // the records without vectors (the photo's detections) were sound
  expect(await counterSum(again.url, 'vlrerank_feature_store_errors_total', { tier: 'disk' })).toBe(disk.errors);
  expect(await counterSum(again.url, 'vlrerank_feature_lookups_total', { tier: 'disk', outcome: 'error' })).toBe(disk.errors);
  expect(await counterSum(again.url, 'vlrerank_feature_lookups_total', { tier: 'disk', outcome: 'hit' })).toBe(disk.hits);
});
