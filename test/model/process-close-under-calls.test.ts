/**
 * An app's graceful shutdown calls `close()` while `process()` calls are under way (held-out probe
 * round 23c): the models were freed beneath them and every call failed as a model fault —
 * VLR_MODEL_RUNTIME "model bge-small-en-v1.5 is closed", a 500 an app pages on — seconds after
 * close() had returned. close() now waits for the calls under way, then frees the models.
 */
import { describe, expect, it } from 'vitest';
import { testReranker } from '../helpers/reranker.js';

const photos = ['coco-captions-mini/images/val2017/000000000139.jpg', 'coco-captions-mini/images/val2017/000000000802.jpg', 'coco-captions-mini/images/val2017/000000011813.jpg'];

describe('close() while process() calls run', { timeout: 300_000 }, () => {
  it('the calls under way are answered, and have settled when close() resolves', async () => {
    const r = testReranker();
    await r.process({ query: { text: 'warm' }, documents: [{ text: 'up' }] });
    let started!: () => void;
    const firstQueued = new Promise<void>((ok) => (started = ok));
    const settled: string[] = [];
    const calls = Array.from({ length: 4 }, (_, i) =>
      r
        .process({ query: { text: `a kitchen ${i}` }, documents: [...photos.map((image) => ({ image })), ...Array.from({ length: 12 }, (_, j) => ({ text: `an oven and a sink, note ${i}-${j}` }))] }, { onStage: (s) => s === 'queue' && started() })
        .then(
          (out) => (settled.push('answered'), out),
          (e: { code?: string; message?: string }) => (settled.push(`${e.code}: ${e.message}`), undefined),
        ),
    );
    await firstQueued; // the first call is running: its stages have begun
    await r.close();
    const atClose = [...settled];
    await Promise.all(calls);
    expect(atClose).toHaveLength(4);
    expect(settled).toEqual(['answered', 'answered', 'answered', 'answered']);
    // a call after close() loads the models again
    const again = await r.process({ query: { text: 'after' }, documents: [{ text: 'closing time' }] });
    expect(again.scores).toHaveLength(1);
    await r.close();
  });
});
