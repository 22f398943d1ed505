/**
 * Inputs handed over to the inference worker (`run(…, { handOver: true })`, as the image encoders
 * do with their freshly stacked batches) cross without a copy: the caller's buffer is transferred
 * (detached afterwards) and the outputs are exactly those of the copying path. A view into a
 * larger buffer is still copied (its neighbours' bytes never cross, the caller's buffer stays
 * usable), and without handOver the caller's tensor is left untouched. Real model, real worker.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ModelSession, ort } from '../../src/models/session.js';
import { MODELS } from '../helpers/paths.js';

const FILE = `${MODELS}/efficientnet-lite2-imagenet/image.onnx`;
const session = new ModelSession(FILE, { name: 'hand-over-test', modelId: 'efficientnet-lite2-imagenet', device: 'cpu', intraOpThreads: 2, thread: 'worker' });
const PER = 3 * 260 * 260;
const fill = (x: Float32Array, seed: number) => {
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(0.011 * i + seed);
  return x;
};
afterAll(() => session.unload());

describe('handing inputs over to the inference worker', () => {
  it('transfers a whole-buffer input without a copy and answers exactly as the copying path', async () => {
    const kept = fill(new Float32Array(2 * PER), 1);
    const copied = await session.run({ pixel_values: new ort.Tensor('float32', kept, [2, 3, 260, 260]) }, ['logits']);
    expect(kept.length).toBe(2 * PER); // not handed over: the caller's buffer is still there
    const given = Float32Array.from(kept);
    const moved = await session.run({ pixel_values: new ort.Tensor('float32', given, [2, 3, 260, 260]) }, ['logits'], { handOver: true });
    expect(given.buffer.byteLength).toBe(0); // transferred, so detached here
    expect(Array.from(moved.logits!.data as Float32Array)).toEqual(Array.from(copied.logits!.data as Float32Array));
  });

  it('copies a handed-over view into a larger buffer: only its bytes cross, the buffer stays usable', async () => {
    const big = fill(new Float32Array(3 * PER), 2);
    const view = big.subarray(PER, 2 * PER);
    const out = await session.run({ pixel_values: new ort.Tensor('float32', view, [1, 3, 260, 260]) }, ['logits'], { handOver: true });
    expect(big.buffer.byteLength).toBe(3 * PER * 4);
    const alone = await session.run({ pixel_values: new ort.Tensor('float32', big.slice(PER, 2 * PER), [1, 3, 260, 260]) }, ['logits']);
    expect(Array.from(out.logits!.data as Float32Array)).toEqual(Array.from(alone.logits!.data as Float32Array));
  });
});
