/**
 * One fetch per key across concurrent callers (src/features/media/flights.ts): callers of one key
 * share one run; a caller leaving stops only its own wait; the run is aborted when the last caller
 * leaves, kept alive by a caller without a signal, and forgotten once settled.
 */
import { describe, expect, it } from 'vitest';
import { Flights } from '../../../src/features/media/flights.js';

function gate<T>() {
  let open!: (v: T) => void;
  const p = new Promise<T>((r) => (open = r));
  return { p, open };
}

describe('Flights', () => {
  it('concurrent callers of one key share one run; another key runs apart; a settled key runs again', async () => {
    const f = new Flights<string>();
    let runs = 0;
    const g = gate<string>();
    const start = () => (runs++, g.p);
    const a = f.run('u', undefined, start);
    const b = f.run('u', new AbortController().signal, start);
    const other = f.run('v', undefined, async () => (runs++, 'v'));
    expect(f.join('u', undefined)).toBeDefined();
    g.open('bytes');
    expect([await a, await b, await other]).toEqual(['bytes', 'bytes', 'v']);
    expect(runs).toBe(2);
    expect(f.size).toBe(0);
    expect(f.join('u', undefined)).toBeUndefined();
    await f.run('u', undefined, async () => (runs++, 'again'));
    expect(runs).toBe(3);
  });

  it('one caller leaving ends its own wait only; the last one leaving aborts the run', async () => {
    const f = new Flights<string>();
    let runSignal: AbortSignal | undefined;
    const start = (s: AbortSignal) => ((runSignal = s), new Promise<string>((_, reject) => s.addEventListener('abort', () => reject(s.reason))));
    const [x, y] = [new AbortController(), new AbortController()];
    const a = f.run('u', x.signal, start);
    const b = f.run('u', y.signal, start);
    x.abort(new Error('x gone'));
    await expect(a).rejects.toThrow('x gone');
    expect(runSignal!.aborted).toBe(false);
    y.abort(new Error('y gone'));
    await expect(b).rejects.toThrow('y gone');
    expect(runSignal!.aborted).toBe(true);
    await Promise.resolve();
    expect(f.size).toBe(0);
  });

  it('a caller without a signal keeps the run alive after the others leave', async () => {
    const f = new Flights<string>();
    const g = gate<string>();
    let runSignal: AbortSignal | undefined;
    const x = new AbortController();
    const a = f.run('u', x.signal, (s) => ((runSignal = s), g.p));
    const b = f.run('u', undefined, () => g.p);
    x.abort();
    await expect(a).rejects.toBeDefined();
    expect(runSignal!.aborted).toBe(false);
    g.open('ok');
    expect(await b).toBe('ok');
  });
});
