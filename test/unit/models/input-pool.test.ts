/**
 * The image models' input pool (input-pool.ts) hands out float32 arrays over shared memory and
 * takes them back only from the code that gave them to a run: a buffer is never handed to two
 * holders at once (not before its release, not twice after a double release), arrays it did not
 * make are never taken, and it keeps at most its byte bound of free buffers.
 */
import { describe, expect, it } from 'vitest';
import { InputPool } from '../../../src/models/input-pool.js';

describe('InputPool', () => {
  it('reuses a released buffer of the same length, and only after its release', () => {
    const pool = new InputPool();
    const a = pool.acquire(12);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(a.length).toBe(12);
    const b = pool.acquire(12);
    expect(b).not.toBe(a); // a is still held
    pool.release(a);
    expect(pool.acquire(8)).not.toBe(a); // another length
    expect(pool.acquire(12)).toBe(a);
    expect(pool.acquire(12)).not.toBe(a);
    expect(pool.stats()).toMatchObject({ made: 4, reused: 1 });
  });

  it('never gives one buffer to two holders after a double release', () => {
    const pool = new InputPool();
    const a = pool.acquire(4);
    pool.release(a);
    pool.release(a);
    const x = pool.acquire(4);
    const y = pool.acquire(4);
    expect(x).toBe(a);
    expect(y).not.toBe(a);
  });

  it('ignores arrays it did not make (plain memory, views, another pool)', () => {
    const pool = new InputPool();
    const other = new InputPool().acquire(4);
    const mine = pool.acquire(8);
    pool.release(new Float32Array(4));
    pool.release(other);
    pool.release(mine.subarray(0, 4));
    expect(pool.stats().freeBytes).toBe(0);
    expect(pool.acquire(4)).not.toBe(other);
  });

  it('keeps at most its byte bound of free buffers', () => {
    const pool = new InputPool(64);
    const bufs = [pool.acquire(8), pool.acquire(8), pool.acquire(8)]; // 32 bytes each
    for (const b of bufs) pool.release(b);
    expect(pool.stats().freeBytes).toBe(64);
  });
});
