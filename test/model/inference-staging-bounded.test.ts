/**
 * The inference worker's staging arrays stay bounded in bytes (held-out probe round 13d). Inputs
 * over shared memory (input-pool.ts: the image models' stacked batches) are copied in the worker
 * into a staging array kept for the next run of that length; bounded by count per length only,
 * every batch size ever run stayed for the life of the worker — a busy server never stops it, and
 * its resident memory crept up for the whole soak. Here a real model (the CLIP architecture
 * fixture, dynamic batch) runs batches of 1–16 over shared memory; a listener placed before the
 * real worker code sums the staging bytes kept when the next run arrives: at most what the pool on
 * the main side keeps free (48 MiB), where it was every size at once (82 MB); the same size run
 * again still reuses its array (the count does not grow), and a smaller one runs in a larger free array.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelSession, ort } from '../../src/models/session.js';
import { InferenceWorker, INFERENCE_WORKER_SOURCE } from '../../src/models/session-worker.js';
import { MODELS } from '../helpers/paths.js';

const FILE = join(MODELS, 'clip-architecture-fixture/onnx/vision_model.onnx');
const PER = 3 * 224 * 224;
const dir = mkdtempSync(join(tmpdir(), 'staging-'));
const report = join(dir, 'staging-bytes');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real worker, prefixed by a listener that writes the staging bytes kept when a run arrives. */
const COUNTING = `require('node:worker_threads').parentPort.on('message', (m) => {
  if (m.op !== 'run') return;
  let bytes = 0, arrays = 0;
  for (const list of staging.values()) for (const a of list) { bytes += a.byteLength; arrays++; }
  require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({ bytes, arrays }));
});
${INFERENCE_WORKER_SOURCE}`;

const shared = (n: number) => new ort.Tensor('float32', new Float32Array(new SharedArrayBuffer(n * PER * 4)).fill(0.1), [n, 3, 224, 224]);
const plain = () => new ort.Tensor('float32', new Float32Array(PER).fill(0.1), [1, 3, 224, 224]);

describe('inference worker staging', () => {
  it('batches of every size over shared memory: the staging kept stays within 48 MiB, and a size run again reuses its array', async () => {
    const worker = new InferenceWorker({ source: COUNTING });
    const s = new ModelSession(FILE, { name: 'clip-fixture/vision', modelId: 'clip-architecture-fixture', device: 'cpu', intraOpThreads: 1, worker });
    try {
      const kept = async () => {
        await s.run({ pixel_values: plain() }); // not staged: its arrival reports what the runs before it left
        return JSON.parse(readFileSync(report, 'utf8')) as { bytes: number; arrays: number };
      };
      await s.run({ pixel_values: shared(2) }, undefined, { handOver: true });
      const one = await kept();
      expect(one).toEqual({ bytes: 2 * PER * 4, arrays: 1 });
      await s.run({ pixel_values: shared(2) }, undefined, { handOver: true });
      expect(await kept()).toEqual(one); // reused, not a second array

      // a smaller batch runs in a larger free array (a view of it), not a fresh one: no array of its length is made
      await s.run({ pixel_values: shared(4) }, undefined, { handOver: true });
      const four = await kept();
      expect(four.arrays).toBeLessThanOrEqual(2);
      const a = await s.run({ pixel_values: shared(3) }, undefined, { handOver: true });
      expect(await kept()).toEqual(four);
      // and answers as the same batch in plain memory
      const b = await s.run({ pixel_values: new ort.Tensor('float32', new Float32Array(3 * PER).fill(0.1), [3, 3, 224, 224]) });
      for (const k of Object.keys(b)) expect(Buffer.from((a[k]!.data as Float32Array).buffer).equals(Buffer.from((b[k]!.data as Float32Array).buffer))).toBe(true);

      for (let n = 1; n <= 16; n++) await s.run({ pixel_values: shared(n) }, undefined, { handOver: true });
      const after = await kept();
      expect(after.bytes).toBeLessThanOrEqual(48 * 1024 * 1024);
      expect(after.arrays).toBeGreaterThan(0);
    } finally {
      await s.unload();
    }
  }, 120_000);
});
