/**
 * unload() releases the onnxruntime session: the state goes back to unloaded, the native session
 * is released (a run after unload loads a fresh one), and resident memory drops after releasing the
 * largest shared model (bge int8, ~34 MB of weights, ~100+ MB resident once run).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Models } from '../../src/models/index.js';
import { sharedModels } from '../helpers/models.js';
import { ort } from '../../src/models/session.js';

let models: Models;
beforeAll(async () => {
  models = await sharedModels();
});
afterAll(() => models.close());

describe('unload frees the session', () => {
  it('state loaded → unloaded, and the next use loads again', async () => {
    const te = await models.textEmbedder();
    await te.embed(['warm up the session'.repeat(20)]);
    expect(te.session.state).toBe('loaded');
    expect(te.session.info().runs).toBeGreaterThan(0);
    const rssLoaded = process.memoryUsage().rss;
    const info = await models.unload('bge-small-en-v1.5');
    expect(info.state).toBe('unloaded');
    expect(te.session.state).toBe('unloaded');
    expect(te.session.inputNames).toEqual([]);
    const rssAfter = process.memoryUsage().rss;
    // released native memory goes back to the allocator; the drop shows in RSS on glibc for arenas this size
    expect(rssLoaded - rssAfter).toBeGreaterThan(10 * 1024 * 1024);
    const [v] = await te.embed(['loaded again on first use']);
    expect(v).toHaveLength(384);
    expect(te.session.state).toBe('loaded');
    expect(te.session.info()).toMatchObject({ runs: 1, loads: 2 });
  });
});

describe('unload during inference', () => {
  it('waits for runs in flight before releasing, and later runs load a fresh session', async () => {
    const ic = await models.imageClassifier();
    const img = { data: new Float32Array(3 * 260 * 260).fill(0.1), dims: [3, 260, 260] as [number, number, number], original: { width: 260, height: 260 } };
    const [first] = await ic.embed([img]);
    const batch = new ort.Tensor('float32', new Float32Array(4 * 3 * 260 * 260).fill(0.1), [4, 3, 260, 260]);
    const running = ic.session.run({ pixel_values: batch }); // native run in flight
    const unloading = models.unload('efficientnet-lite2-imagenet');
    const [out] = await Promise.all([running, unloading]);
    expect(out.embedding!.dims).toEqual([4, 1280]);
    expect(ic.session.state).toBe('unloaded');
    const [again] = await ic.embed([img]);
    expect(Array.from(again!.embedding.slice(0, 16))).toEqual(Array.from(first!.embedding.slice(0, 16)));
  });
});
