/**
 * The warm-up state machine: idle → warming → ready | failed (with the code and reason); waiters
 * wait only while it runs, are never rejected by its failure, and can give up with their signal.
 */
import { describe, expect, it } from 'vitest';
import { vlrError } from '../../../src/errors.js';
import { Warmup } from '../../../src/rerank/warmup.js';

describe('Warmup', () => {
  it('does not make anyone wait when no warm-up was started', async () => {
    const w = new Warmup();
    expect(w.status()).toEqual({ state: 'idle' });
    await expect(w.wait()).resolves.toBe(false);
  });

  it('reports warming while it runs, ready after, and lets waiters through when it ends', async () => {
    const w = new Warmup();
    let release!: () => void;
    const done = w.start(() => new Promise<void>((r) => (release = r)), ['text-embedder']);
    expect(w.status()).toMatchObject({ state: 'warming', what: ['text-embedder'] });
    const waited = w.wait();
    release();
    await expect(waited).resolves.toBe(true);
    await done;
    expect(w.status()).toMatchObject({ state: 'ready', what: ['text-embedder'] });
    await expect(w.wait()).resolves.toBe(false);
  });

  it('reports a failure with its code and reason, and does not reject waiters', async () => {
    const w = new Warmup();
    const outcomes: string[] = [];
    const done = w.start(async () => {
      throw vlrError('VLR_MODEL_MISSING', 'model bge-small-en-v1.5: file missing');
    }, [], (s) => outcomes.push(s.state));
    await expect(w.wait()).resolves.toBe(true);
    await done;
    expect(w.status()).toMatchObject({ state: 'failed', code: 'VLR_MODEL_MISSING', reason: 'model bge-small-en-v1.5: file missing' });
    expect(outcomes).toEqual(['failed']);
  });

  it('runs once: a second start returns the first warm-up', async () => {
    const w = new Warmup();
    let runs = 0;
    await Promise.all([w.start(async () => void runs++), w.start(async () => void runs++)]);
    expect(runs).toBe(1);
  });

  it('runs again after a failure (models pulled after the start), and reports the new outcome', async () => {
    const w = new Warmup();
    await w.start(async () => {
      throw vlrError('VLR_MODEL_MISSING', 'model bge-small-en-v1.5: file missing');
    });
    expect(w.state).toBe('failed');
    let runs = 0;
    await w.start(async () => void runs++);
    expect(runs).toBe(1);
    expect(w.status()).toEqual(expect.objectContaining({ state: 'ready' }));
    expect(w.status().code).toBeUndefined();
  });

  it('ends a wait when the waiter’s signal aborts, while the warm-up goes on', async () => {
    const w = new Warmup();
    let release!: () => void;
    const done = w.start(() => new Promise<void>((r) => (release = r)));
    const ac = new AbortController();
    const waited = w.wait(ac.signal);
    ac.abort(new Error('client closed the connection'));
    await expect(waited).rejects.toThrow('client closed the connection');
    expect(w.state).toBe('warming');
    release();
    await done;
    expect(w.state).toBe('ready');
  });
});
