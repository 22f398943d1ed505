/**
 * Model runs happen off the main thread: while a real EfficientNet batch runs in the inference
 * worker, the event loop keeps turning (a proxy keeps serving passthrough requests and its abort
 * timers fire). With `inferenceThread: main` (the old path) the loop is stuck for the whole run.
 * Turns are counted, not timed. The worker changes nothing in the outputs, and the caller's input
 * tensor stays usable (inputs are copied, not taken).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Models } from '../../src/models/index.js';
import { ort, type ModelSession } from '../../src/models/session.js';
import { sharedModels, synthetic } from '../helpers/models.js';

const BATCH = 16;
let worker: Models;
let main: Models;

function batch(): ort.Tensor {
  const one = synthetic(260, 260);
  const data = new Float32Array(BATCH * one.length);
  for (let i = 0; i < BATCH; i++) data.set(one.map((v) => v * (1 - i / 64)), i * one.length);
  return new ort.Tensor('float32', data, [BATCH, 3, 260, 260]);
}

/** setTimeout(…, 1) turns of the event loop between starting `work` and its result. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ turns: number; out: T }> {
  let turns = 0;
  let done = false;
  const tick = (): void => {
    if (done) return;
    turns++;
    setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  const out = await work();
  done = true;
  return { turns, out };
}

/** Elements that differ (bit-exact comparison; toEqual on 20k-element arrays is slow). */
function differing(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

async function session(models: Models): Promise<ModelSession> {
  const ic = await models.imageClassifier();
  await ic.session.load();
  return ic.session;
}

beforeAll(async () => {
  worker = await sharedModels({ inferenceThread: 'worker' });
  main = await sharedModels({ inferenceThread: 'main' });
});
afterAll(async () => {
  await worker.close();
  await main.close();
});

describe('inference off the main thread', () => {
  it('the event loop keeps turning during a large batch run in the worker, and not on the main thread', async () => {
    const inWorker = await session(worker);
    const onMain = await session(main);
    const w = await turnsDuring(() => inWorker.run({ pixel_values: batch() }));
    const m = await turnsDuring(() => onMain.run({ pixel_values: batch() }));
    console.log(`event-loop turns during a batch of ${BATCH}: worker ${w.turns}, main thread ${m.turns}`);
    expect(w.out.embedding!.dims).toEqual([BATCH, 1280]);
    expect(m.out.embedding!.dims).toEqual([BATCH, 1280]);
    // a batch of 16 takes ~1 s on these machines: hundreds of 1 ms timer turns in the worker case,
    // while the main-thread run lets at most the turns before onnxruntime's setImmediate through
    expect(w.turns).toBeGreaterThan(50);
    expect(m.turns).toBeLessThanOrEqual(3);
    expect(w.turns).toBeGreaterThan(10 * Math.max(1, m.turns));
  });

  it('gives exactly the outputs of the main-thread session, and leaves the caller\'s input intact', async () => {
    const inWorker = await session(worker);
    const onMain = await session(main);
    const input = batch();
    const copy = (input.data as Float32Array).slice();
    const w = await inWorker.run({ pixel_values: input }, ['embedding', 'logits']);
    expect(differing(input.data as Float32Array, copy)).toBe(0); // still readable: not transferred away
    const m = await onMain.run({ pixel_values: input }, ['embedding', 'logits']);
    for (const name of ['embedding', 'logits']) {
      expect(w[name]).toBeInstanceOf(ort.Tensor);
      expect(w[name]!.type).toBe('float32');
      expect(w[name]!.dims).toEqual(m[name]!.dims);
      expect(differing(w[name]!.data as Float32Array, m[name]!.data as Float32Array)).toBe(0);
    }
    expect(Object.keys(await inWorker.run({ pixel_values: input }, ['logits']))).toEqual(['logits']);
  });

  it('reports runtime errors raised in the worker as VLR_MODEL_RUNTIME with onnxruntime\'s message', async () => {
    const inWorker = await session(worker);
    const err = await inWorker.run({ pixel_values: new ort.Tensor('float32', new Float32Array(3 * 10 * 10), [1, 3, 10, 10]) }).catch((e) => e);
    expect(err).toMatchObject({ code: 'VLR_MODEL_RUNTIME' });
    expect(err.message).toMatch(/inference failed for efficientnet-lite2-imagenet: .*(dimension|Got invalid dimensions)/i);
    expect(inWorker.state).toBe('loaded'); // a bad input is not a crash: the session stays
  });
});
