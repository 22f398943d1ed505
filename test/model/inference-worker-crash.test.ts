/**
 * When the inference worker thread dies, the runs it held fail with a clear VLR_MODEL_RUNTIME
 * error (never a hang), every session it held is marked lost, and the next run starts a new
 * worker, loads the model again and gives the same outputs.
 *
 * The worker cannot be terminated from outside during a native run (that aborts the whole process,
 * see session-worker.ts), so the fakes play the crash from inside the first worker, on receiving a
 * run it will never answer: the real worker code, prefixed by a listener that runs first.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelSession, ort } from '../../src/models/session.js';
import { InferenceWorker, INFERENCE_WORKER_SOURCE } from '../../src/models/session-worker.js';
import { MODELS } from '../helpers/paths.js';
import { synthetic } from '../helpers/models.js';

const ID = 'efficientnet-lite2-imagenet';
const FILE = join(MODELS, ID, 'image.onnx');

/** A fault fake: `fault` runs in the first worker only when a run arrives, before the real handler. */
function faultOnFirstWorkerRun(fault: string): string {
  return `require('node:worker_threads').parentPort.on('message', (m) => {
  if (m.op === 'run' && require('node:worker_threads').workerData.generation === 1) { ${fault} }
});
${INFERENCE_WORKER_SOURCE}`;
}
/** The worker thread exits (process.exit inside a worker ends that thread only) mid-run. */
const WorkerExitsMidRun = faultOnFirstWorkerRun('process.exit(70);');
/** The worker thread exits on its fourth run, with more runs queued behind it (a crash under load). */
const WorkerExitsUnderLoad = `let runs = 0;
${faultOnFirstWorkerRun('if (++runs === 4) process.exit(71);')}`;
/** An uncaught exception kills the worker thread mid-run. */
const WorkerThrowsMidRun = faultOnFirstWorkerRun("setImmediate(() => { throw new Error('fault: worker blew up'); });");

function session(worker: InferenceWorker, name = 'model'): ModelSession {
  return new ModelSession(FILE, { name: `${ID}/${name}`, modelId: ID, device: 'cpu', intraOpThreads: 2, worker });
}
const input = (): ort.Tensor => new ort.Tensor('float32', synthetic(260, 260), [1, 3, 260, 260]);

describe('inference worker crash', () => {
  it('worker exits mid-run → the run fails with VLR_MODEL_RUNTIME; the next run starts a new worker and works', async () => {
    const worker = new InferenceWorker({ source: WorkerExitsMidRun });
    const a = session(worker, 'a');
    const b = session(worker, 'b');
    await a.load();
    await b.load();
    const first = worker.threadId;
    expect(worker.stats()).toMatchObject({ started: 1, running: true, sessions: 2 });

    const err = await a.run({ pixel_values: input() }).catch((e) => e);
    expect(err).toMatchObject({ code: 'VLR_MODEL_RUNTIME', status: 500 });
    expect(err.message).toMatch(/inference failed for efficientnet-lite2-imagenet: the inference worker thread stopped \(exit code 70\)/);
    // both sessions lived in the dead worker: both report it and load again on their next run
    expect(a.state).toBe('error');
    expect(b.state).toBe('error');
    expect(a.lastError?.code).toBe('VLR_MODEL_RUNTIME');
    expect(worker.stats()).toMatchObject({ started: 1, running: false, pending: 0, sessions: 0 });

    const out = await a.run({ pixel_values: input() });
    expect(out.embedding!.dims).toEqual([1, 1280]);
    expect(worker.stats()).toMatchObject({ started: 2, running: true });
    expect(worker.threadId).not.toBe(first);
    expect(a.state).toBe('loaded');
    expect(a.info()).toMatchObject({ loads: 2, runs: 1 });
    const outB = await b.run({ pixel_values: input() });
    expect(Array.from(outB.logits!.data as Float32Array)).toEqual(Array.from(out.logits!.data as Float32Array));

    await a.unload();
    await b.unload();
    expect(worker.stats()).toMatchObject({ running: false, sessions: 0 }); // the last unload stops the worker
  });

  it('uncaught error in the worker mid-run → every pending run fails with its message, then recovery', async () => {
    const worker = new InferenceWorker({ source: WorkerThrowsMidRun });
    const s = session(worker);
    await s.load();
    const errs = await Promise.all([s.run({ pixel_values: input() }).catch((e) => e), s.run({ pixel_values: input() }).catch((e) => e)]);
    for (const e of errs) {
      expect(e).toMatchObject({ code: 'VLR_MODEL_RUNTIME' });
      expect(e.message).toContain('fault: worker blew up');
    }
    const out = await s.run({ pixel_values: input() });
    expect(out.logits!.dims).toEqual([1, 1000]);
    await s.unload();
  });

  it('worker exits mid-batch under load (16 runs on 2 sessions) → every run is answered, none hangs; the next 16 all succeed, same outputs', async () => {
    const worker = new InferenceWorker({ source: WorkerExitsUnderLoad });
    const a = session(worker, 'a');
    const b = session(worker, 'b');
    const burst = () => Promise.allSettled(Array.from({ length: 16 }, (_, i) => (i % 2 ? b : a).run({ pixel_values: input() })));
    const first = await burst();
    const failed = first.filter((r) => r.status === 'rejected');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const f of failed) expect((f as PromiseRejectedResult).reason).toMatchObject({ code: 'VLR_MODEL_RUNTIME', message: expect.stringContaining('exit code 71') });
    const second = await burst();
    expect(second.map((r) => r.status)).toEqual(second.map(() => 'fulfilled'));
    const logits = second.map((r) => Array.from((r as PromiseFulfilledResult<Record<string, ort.Tensor>>).value.logits!.data as Float32Array));
    for (const l of logits) expect(l).toEqual(logits[0]);
    expect(worker.stats()).toMatchObject({ started: 2, running: true });
    await a.unload();
    await b.unload();
  });
});
