/**
 * Model runs yield the CPU to the event loop (issue 13 §1: passthrough is never slowed by rerank
 * load): the inference worker thread lowers its own priority (`models.inferenceNice`) before it
 * creates a session, so the onnxruntime threads it starts inherit it, while the main thread — the
 * event loop that proxies, answers health and 429s — keeps the process's priority. Read from
 * /proc/self/task/<tid>/stat on Linux (nice is a per-thread attribute there); a real model run on a
 * worker of the test's own, so no other test's worker is touched.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelSession, ort } from '../../src/models/session.js';
import { InferencePool, InferenceWorker } from '../../src/models/session-worker.js';
import { MODELS } from '../helpers/paths.js';

const FILE = `${MODELS}/efficientnet-lite2-imagenet/image.onnx`;

/** Nice value of each thread of this process, by thread id. */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces) start at ") "; nice is field 19
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(rest[19 - 3]));
  }
  return out;
}

const linux = process.platform === 'linux';

describe.runIf(linux)('inference thread priority', () => {
  const worker = new InferenceWorker();
  const sessions: ModelSession[] = [];
  afterAll(async () => {
    for (const s of sessions) await s.unload();
  });

  it('a session loaded with nice 10 runs on threads at nice 10; the main thread stays at its priority', async () => {
    const before = threadNices();
    const mainNice = before.get(process.pid)!;
    expect(mainNice).toBe(0);
    const s = new ModelSession(FILE, { name: 'priority-test', modelId: 'efficientnet-lite2-imagenet', device: 'cpu', intraOpThreads: 2, nice: 10, worker });
    sessions.push(s);
    const out = await s.run({ pixel_values: new ort.Tensor('float32', new Float32Array(3 * 260 * 260).fill(0.5), [1, 3, 260, 260]) });
    expect(out.logits!.dims).toEqual([1, 1000]);
    const after = threadNices();
    const added = [...after].filter(([tid]) => !before.has(tid));
    // the worker thread and the onnxruntime intra-op thread(s) it started
    expect(added.length).toBeGreaterThanOrEqual(2);
    for (const [, nice] of added) expect(nice).toBe(10);
    expect(after.get(process.pid)).toBe(mainNice);
  });

  it('a session in an inference pool runs at nice 10 in every worker (each lowers its own priority at its first load)', async () => {
    const before = threadNices();
    const pool = new InferencePool([new InferenceWorker(), new InferenceWorker()]);
    const s = new ModelSession(FILE, { name: 'priority-pool-test', modelId: 'efficientnet-lite2-imagenet', device: 'cpu', intraOpThreads: 1, nice: 10, worker: pool });
    sessions.push(s);
    const input = () => ({ pixel_values: new ort.Tensor('float32', new Float32Array(3 * 260 * 260).fill(0.5), [1, 3, 260, 260]) });
    await Promise.all([s.run(input()), s.run(input())]);
    expect(pool.stats().map((w) => w.started)).toEqual([1, 1]);
    const added = [...threadNices()].filter(([tid]) => !before.has(tid));
    // both worker threads (at 1 intra-op thread, onnxruntime starts no thread of its own)
    expect(added.length).toBeGreaterThanOrEqual(2);
    for (const [, nice] of added) expect(nice).toBe(10);
    expect(threadNices().get(process.pid)).toBe(0);
  });
});
