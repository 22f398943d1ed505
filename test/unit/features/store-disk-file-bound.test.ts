// The disk tier's FILE, not only the values it counts, stays near `store.disk.maxBytes` under churn
// (fix17, a 15c leftover): feature keys are content hashes, so every batch of writes lands on
// leaf pages all over the B-tree, and LMDB's copy-on-write needs a fresh copy of each page a
// transaction touches while the old copy is reusable only two transactions later. Counting value
// bytes alone let `features.mdb` reach 4.2× the budget for 818-byte text vectors (95.6 MB for
// 32 MiB in round 15c); the tier now also evicts by the pages its trees use.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DiskTier } from '../../../src/features/store/disk-tier.js';
import { tempStoreDir } from '../../helpers/store.js';

const BUDGET = 8 << 20;
const dirs: Array<{ cleanup(): void }> = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

/** A feature key as the store makes them: a kind, a content hash, the models. */
const key = (i: number) => `f:text|${createHash('sha256').update(String(i)).digest('base64url')}|bge-small@1`;

describe('disk tier file size under churn', () => {
  for (const valueBytes of [818, 5_000]) {
    it(`keeps features.mdb within 1.25× the budget after 3× the budget of distinct ${valueBytes}-byte records`, async () => {
      const d = tempStoreDir('file-bound');
      dirs.push(d);
      const t = await DiskTier.open({ path: d.path, maxBytes: BUDGET });
      const count = Math.ceil((3 * BUDGET) / valueBytes);
      for (let i = 0; i < count; i++) {
        t.set(key(i), new Uint8Array(valueBytes).fill(i % 251));
        if (i % 250 === 249) await t.flushed(); // lmdb batches what is queued into one transaction
      }
      await t.flushed();
      const h = t.health();
      const evicted = count - h.entries!;
      expect(h.fileBytes).toBe(statSync(join(d.path, 'features.mdb')).size); // health shows the file against maxBytes
      expect(h.fileBytes! / h.maxBytes!).toBeLessThanOrEqual(1.25);
      // the newest records are kept and read back whole; the oldest went
      for (let i = count - 100; i < count; i++) expect(t.get(key(i))?.byteLength).toBe(valueBytes);
      expect(t.has(key(0))).toBe(false);
      await t.close();
      const file = statSync(join(d.path, 'features.mdb')).size;
      expect(evicted).toBeGreaterThan(count / 2);
      expect(file / BUDGET).toBeLessThanOrEqual(1.25);
    });
  }
});
