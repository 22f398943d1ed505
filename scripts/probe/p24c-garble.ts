/**
 * Held-out probe round 24c, part 3: a record garbled on disk (bytes of its vector flipped in
 * features.mdb, as bit rot or a torn page would) — is it detected and recomputed, or used?
 * Usage: npx tsx scripts/probe/p24c-garble.ts
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeatureCache } from '../../src/features/cache/feature-cache.js';
import { sizeOfPart, type Part } from '../../src/features/parts.js';
import { DiskTier } from '../../src/features/store/disk-tier.js';
import { TieredFeatures } from '../../src/features/store/tiered.js';

const dir = mkdtempSync(join(tmpdir(), 'p24c-garble-'));
const v = new Float32Array(384).map((_, i) => Math.sin(i) / 14);
let t = await DiskTier.open({ path: dir, maxBytes: 16 << 20 });
new TieredFeatures(new FeatureCache<Part>({ maxBytes: 1 << 20, sizeOf: sizeOfPart }), { disk: t }).set('text|k1', { kind: 'text', value: v });
await t.close();
const file = join(dir, 'features.mdb');
const buf = readFileSync(file);
const at = buf.indexOf(Buffer.from([0x56, 0x4c, 0x46, 0x02]));
const headLen = buf.readUInt32LE(at + 4);
for (const [name, off] of [['vector', at + 12 + headLen + 101], ['header digit', at + 12 + headLen - 3]] as const) {
  const copy = Buffer.from(buf);
  copy[off] ^= 0x40;
  writeFileSync(file, copy);
  t = await DiskTier.open({ path: dir, maxBytes: 16 << 20 });
  const tiers = new TieredFeatures(new FeatureCache<Part>({ maxBytes: 1 << 20, sizeOf: sizeOfPart }), { disk: t });
  let computed = 0;
  const r = await tiers.getOrCompute('text|k1', async () => (computed++, { kind: 'text', value: v }));
  const got = (r.value as { value: Float32Array }).value;
  let maxDiff = 0;
  for (let i = 0; i < v.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - v[i]!));
  console.log(`${name} byte flipped: source ${r.source}, recomputed ${computed}, max |diff| ${maxDiff}, disk errors ${t.health().errors}`);
  await t.close();
}
