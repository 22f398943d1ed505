/**
 * `vlrerank serve` says at start, on glibc without `MALLOC_MMAP_THRESHOLD_`, how to keep resident
 * memory from creeping (rss14: sharp's decodes under glibc's dynamic mmap threshold; flat with
 * 131072 at the same speed) — the operator's environment must set it, Node 20 cannot.
 */
import { describe, expect, it } from 'vitest';
import { mallocHint } from '../../../src/cli/memory-limit.js';

describe('mallocHint', () => {
  it('on glibc without the variable: names it, its value and the docs', () => {
    const hint = mallocHint({}, '2.36');
    expect(hint).toContain('MALLOC_MMAP_THRESHOLD_=131072');
    expect(hint).toContain('glibc 2.36');
  });
  it('says nothing once it is set (any value: the operator chose), or on another C library', () => {
    expect(mallocHint({ MALLOC_MMAP_THRESHOLD_: '131072' }, '2.36')).toBeUndefined();
    expect(mallocHint({ MALLOC_MMAP_THRESHOLD_: '65536' }, '2.36')).toBeUndefined();
    expect(mallocHint({}, null)).toBeUndefined();
  });
  it('reads the C library of this process from Node itself (Debian here: glibc)', () => {
    const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;
    expect(mallocHint({})).toBe(glibc ? mallocHint({}, glibc) : undefined);
  });
});
