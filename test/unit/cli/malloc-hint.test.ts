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
  it('says nothing when another allocator is preloaded (jemalloc kept decoding flat too, at less CPU: perf16), and names it as the other way', () => {
    expect(mallocHint({ LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2' }, '2.36')).toBeUndefined();
    expect(mallocHint({ LD_PRELOAD: 'libtcmalloc_minimal.so.4' }, '2.36')).toBeUndefined();
    expect(mallocHint({ LD_PRELOAD: '/opt/x/libfoo.so:/usr/lib/libmimalloc.so.2' }, '2.36')).toBeUndefined();
    expect(mallocHint({ LD_PRELOAD: '/opt/x/libnotjemalloc-shim.so' }, '2.36')).toContain('libjemalloc.so.2');
    expect(mallocHint({}, '2.36')).toContain('preload jemalloc');
  });
  it('reads the C library of this process from Node itself (Debian here: glibc)', () => {
    const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;
    expect(mallocHint({})).toBe(glibc ? mallocHint({}, glibc) : undefined);
  });
});
