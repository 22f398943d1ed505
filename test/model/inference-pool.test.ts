/**
 * The inference pool (session-worker.ts `InferencePool`, `models.inferenceWorkers`): a session is
 * loaded once in each worker, runs go to the least busy worker, a crash of one worker fails only
 * the runs it held while the other worker's copy keeps answering, and unloading stops every worker.
 * Real EfficientNet weights; the crash is played from inside one worker, as inference-worker-crash
 * does (a worker cannot be terminated from outside during a native run). The process-exit case is
 * microsoft/onnxruntime#24486's: sessions in several workers at once, then a plain exit.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ModelSession, ort } from '../../src/models/session.js';
import { InferencePool, InferenceWorker, INFERENCE_WORKER_SOURCE } from '../../src/models/session-worker.js';
import { ModelRegistry } from '../../src/models/registry.js';
import { sharedModels, synthetic } from '../helpers/models.js';
import { MODELS } from '../helpers/paths.js';

const ID = 'efficientnet-lite2-imagenet';
const FILE = join(MODELS, ID, 'image.onnx');

/** A fault fake: the worker thread exits (code 72) on the first run it receives, in its first generation only. */
const ExitsOnFirstRun = `require('node:worker_threads').parentPort.on('message', (m) => {
  if (m.op === 'run' && require('node:worker_threads').workerData.generation === 1) process.exit(72);
});
${INFERENCE_WORKER_SOURCE}`;

const session = (pool: InferencePool): ModelSession => new ModelSession(FILE, { name: `${ID}/model`, modelId: ID, device: 'cpu', intraOpThreads: 1, worker: pool });
const input = (): ort.Tensor => new ort.Tensor('float32', synthetic(260, 260), [1, 3, 260, 260]);
const logits = (o: Record<string, ort.Tensor>) => Array.from(o.logits!.data as Float32Array);

describe('inference pool', () => {
  it('loads a session in every worker, spreads concurrent runs over them (same outputs), and unloading stops them all', async () => {
    const pool = new InferencePool([new InferenceWorker(), new InferenceWorker()]);
    const s = session(pool);
    expect(s.parallelRuns).toBe(2);
    await s.load();
    expect(pool.stats().map((w) => w.sessions)).toEqual([1, 1]);
    // handed out one after another with no await: each goes to the worker with fewer pending
    const runs = Array.from({ length: 6 }, () => s.run({ pixel_values: input() }));
    expect(pool.stats().map((w) => w.pending)).toEqual([3, 3]);
    const out = await Promise.all(runs);
    for (const o of out) expect(logits(o)).toEqual(logits(out[0]!));
    expect(s.info()).toMatchObject({ state: 'loaded', runs: 6, loads: 1 });
    await s.unload();
    expect(pool.stats().map((w) => ({ running: w.running, sessions: w.sessions }))).toEqual([
      { running: false, sessions: 0 },
      { running: false, sessions: 0 },
    ]);
  });

  it('a crash of one worker fails only its runs; the other copy keeps answering and the next run there loads again', async () => {
    const dying = new InferenceWorker({ source: ExitsOnFirstRun });
    const healthy = new InferenceWorker();
    const pool = new InferencePool([dying, healthy]);
    const s = session(pool);
    await s.load();
    const first = await Promise.allSettled(Array.from({ length: 4 }, () => s.run({ pixel_values: input() })));
    // runs alternate: the 1st and 3rd went to the dying worker
    expect(first.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    for (const r of first.filter((x) => x.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'VLR_MODEL_RUNTIME', message: expect.stringContaining('exit code 72') });
    }
    // the session as a whole was not lost: the healthy worker's copy stays loaded
    expect(s.state).toBe('loaded');
    expect(healthy.stats()).toMatchObject({ started: 1, running: true, sessions: 1 });
    const again = await Promise.all(Array.from({ length: 4 }, () => s.run({ pixel_values: input() })));
    expect(dying.stats()).toMatchObject({ started: 2, running: true, sessions: 1 });
    const ok = (first[1] as PromiseFulfilledResult<Record<string, ort.Tensor>>).value;
    for (const o of again) expect(logits(o)).toEqual(logits(ok));
    expect(pool.stats().map((w) => w.started)).toEqual([2, 1]);
    await s.unload();
    expect(pool.stats().map((w) => w.running)).toEqual([false, false]);
  });

  it('every worker crashing loses the session as a whole: it reports the error and its next run loads it again everywhere', async () => {
    const pool = new InferencePool([new InferenceWorker({ source: ExitsOnFirstRun }), new InferenceWorker({ source: ExitsOnFirstRun })]);
    const s = session(pool);
    await s.load();
    const first = await Promise.allSettled([s.run({ pixel_values: input() }), s.run({ pixel_values: input() })]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(s.state).toBe('error');
    expect(s.lastError?.message).toContain('exit code 72');
    const out = await s.run({ pixel_values: input() });
    expect(out.logits!.dims).toEqual([1, 1000]);
    expect(s.info()).toMatchObject({ state: 'loaded', loads: 2 });
    expect(pool.stats().map((w) => ({ started: w.started, sessions: w.sessions }))).toEqual([
      { started: 2, sessions: 1 },
      { started: 2, sessions: 1 },
    ]);
    await s.unload();
  });

  it('the registry puts NanoDet in the pool at cores ÷ workers threads; EfficientNet and the text model stay in the first worker', async () => {
    const pool = new InferencePool([new InferenceWorker(), new InferenceWorker()]);
    const registry = await ModelRegistry.create({ dir: MODELS, device: 'cpu', intraOpThreads: 2, pool });
    const image = registry.session(ID);
    const detector = registry.session('nanodet-g-coco');
    const text = registry.session('bge-small-en-v1.5');
    expect([image.parallelRuns, detector.parallelRuns, text.parallelRuns]).toEqual([1, 2, 1]);
    expect([image.options.intraOpThreads, detector.options.intraOpThreads, text.options.intraOpThreads]).toEqual([2, 1, 2]);
    await detector.load();
    expect(pool.stats().map((w) => w.sessions)).toEqual([1, 1]);
    await registry.close();
    expect(pool.stats().map((w) => w.running)).toEqual([false, false]);
  });

  it('the Models facade with inferenceWorkers 2 runs NanoDet two photos at a time and gives the detections one worker gives', async () => {
    const photos = Array.from({ length: 6 }, (_, k) => ({ data: synthetic(416, 416).map((v) => v * (1 - k / 12)), dims: [3, 416, 416] as [number, number, number], original: { width: 640, height: 480 } }));
    const one = await sharedModels({ inferenceWorkers: 1 });
    const two = await sharedModels({ inferenceWorkers: 2 });
    try {
      const d1 = await one.objectDetector();
      const d2 = await two.objectDetector();
      expect([d1.session.parallelRuns, d2.session.parallelRuns]).toEqual([1, 2]);
      const opts = { scoreThreshold: 0.05 };
      const a = await Promise.all(photos.map((p) => d1.detect(p, p.original, opts)));
      const b = await Promise.all(photos.map((p) => d2.detect(p, p.original, opts)));
      expect(a.flat().length).toBeGreaterThan(0);
      // 1 intra-op thread against 2: the same detections to float rounding
      b.forEach((dets, i) => {
        expect(dets.map((d) => d.classId)).toEqual(a[i]!.map((d) => d.classId));
        dets.forEach((d, j) => expect(Math.abs(d.score - a[i]![j]!.score)).toBeLessThan(1e-3));
      });
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('a script with sessions loaded in two workers exits by itself, cleanly (onnxruntime#24486)', async () => {
    const SESSION = fileURLToPath(new URL('../../src/models/session.ts', import.meta.url));
    const WORKER = fileURLToPath(new URL('../../src/models/session-worker.ts', import.meta.url));
    const code = `import { ModelSession, ort } from ${JSON.stringify(SESSION)};
import { sharedInferencePool } from ${JSON.stringify(WORKER)};
const pool = sharedInferencePool(2);
const mk = (f, id) => new ModelSession(f, { name: id, modelId: id, device: 'cpu', intraOpThreads: 1, worker: pool });
const a = mk(${JSON.stringify(FILE)}, '${ID}');
const d = mk(${JSON.stringify(join(MODELS, 'nanodet-g-coco', 'model.onnx'))}, 'nanodet-g-coco');
const x = () => new ort.Tensor('float32', new Float32Array(3 * 260 * 260).fill(0.5), [1, 3, 260, 260]);
const y = () => new ort.Tensor('float32', new Float32Array(3 * 416 * 416).fill(0.5), [1, 3, 416, 416]);
const out = await Promise.all([a.run({ pixel_values: x() }), a.run({ pixel_values: x() }), d.run({ image: y() }), d.run({ image: y() })]);
console.log('ran', out.length, pool.stats().map((w) => w.sessions).join(','));`;
    const r = await new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
      const args = ['-c', 'ulimit -c 0; exec "$0" "$@"', process.execPath, '--import', 'tsx', '--input-type=module', '-e', code];
      execFile('/bin/sh', args, { timeout: 60_000, cwd: fileURLToPath(new URL('../..', import.meta.url)) }, (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: string }) | null;
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
      });
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ran 4 2,2');
    expect(r).toMatchObject({ code: 0, signal: null });
  });
});
