/**
 * The in-memory feature cache's budget (src/config/cache-budget.ts; fix15): as set when set, else
 * sized from the memory limit — min(256 MiB, max(16 MiB, (limit − 768 MiB) / 2)) — else 256 MiB; a
 * warning when the cache and the working set cannot fit under the limit. The limit is a parameter
 * here; test/integration/server/serve-memory-limit.test.ts reads real cgroups.
 */
import { describe, expect, it } from 'vitest';
import { cacheBudget } from '../../src/config/cache-budget.js';

const MiB = 2 ** 20;

describe('the feature cache budget', () => {
  it('no limit: 256 MiB, or the setting', () => {
    expect(cacheBudget(undefined, undefined)).toEqual({ maxBytes: 256 * MiB, from: 'default' });
    expect(cacheBudget(64 * MiB, undefined)).toEqual({ maxBytes: 64 * MiB, from: 'setting' });
  });

  it('a limit sizes an unset budget to half of what the working set leaves, between 16 and 256 MiB', () => {
    expect(cacheBudget(undefined, 1024 * MiB)).toMatchObject({ maxBytes: 128 * MiB, from: 'memory limit', limit: 1024 * MiB });
    expect(cacheBudget(undefined, 8192 * MiB)).toMatchObject({ maxBytes: 256 * MiB, from: 'memory limit' });
    expect(cacheBudget(undefined, 900 * MiB).maxBytes).toBe(66 * MiB);
    for (const limit of [800, 1024, 1300, 4096]) {
      const b = cacheBudget(undefined, limit * MiB);
      expect(b.maxBytes + 768 * MiB).toBeLessThanOrEqual(limit * MiB); // models and cache fit
      expect(b.warning).toBeUndefined();
    }
  });

  it('a limit below the working set: the least budget, warned', () => {
    const b = cacheBudget(undefined, 512 * MiB);
    expect(b.maxBytes).toBe(16 * MiB);
    expect(b.warning).toMatch(/512 MiB.*sized to its least, 16 MiB.*OOMKilled/);
  });

  it('a setting wins over the limit, warned only when it cannot fit', () => {
    expect(cacheBudget(512 * MiB, 1024 * MiB)).toMatchObject({ maxBytes: 512 * MiB, from: 'setting' });
    expect(cacheBudget(512 * MiB, 1024 * MiB).warning).toMatch(/may take 512 MiB \(cache\.maxBytes, as set\)/);
    expect(cacheBudget(64 * MiB, 1024 * MiB).warning).toBeUndefined();
  });
});
