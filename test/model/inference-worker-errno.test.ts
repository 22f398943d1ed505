/**
 * An errno code raised in the inference worker crosses to the main thread (fix19b): the worker's
 * reply carried only the message and name, so an out-of-descriptors failure there (EMFILE, whose
 * message need not say so) became the 500 `inference_exception`, not `VLR_OPEN_FILES`. A fault
 * named after it: the first native load in the worker rejects as Node's fs does when descriptors
 * are out (a real EMFILE, by a low `ulimit -n`, is in test/integration/server/serve-process-limits.test.ts);
 * the next load is the real one.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ModelSession } from '../../src/models/session.js';
import { InferenceWorker, INFERENCE_WORKER_SOURCE } from '../../src/models/session-worker.js';
import { MODELS } from '../helpers/paths.js';

const ID = 'nanodet-g-coco';
/** The first worker's InferenceSession.create fails with code EMFILE and a message that does not name it (an idle worker ends; the next is real). */
const FirstLoadOutOfFiles = `{
  const { workerData } = require('node:worker_threads');
  const ort = require(workerData.ortPath);
  const create = ort.InferenceSession.create;
  ort.InferenceSession.create = (...a) => workerData.generation === 1 ? Promise.reject(Object.assign(new Error('too many open files, open ' + a[0]), { code: 'EMFILE', errno: -24 })) : create.apply(ort.InferenceSession, a);
}
${INFERENCE_WORKER_SOURCE}`;

it('EMFILE raised in the inference worker is VLR_OPEN_FILES on the main thread, and the session loads on its next use', { timeout: 60_000 }, async () => {
  const worker = new InferenceWorker({ source: FirstLoadOutOfFiles });
  const s = new ModelSession(join(MODELS, ID, 'model.onnx'), { name: `${ID}/model`, modelId: ID, device: 'cpu', worker });
  try {
    const err = await s.load().catch((e) => e);
    expect(err).toMatchObject({ code: 'VLR_OPEN_FILES', status: 503, type: 'open_files_limit_exception', details: { model: ID } });
    expect(err.message).toMatch(/^loading model nanodet-g-coco: the process's open files limit is reached \(EMFILE/);
    expect(s.state).toBe('error');
    await s.load();
    expect(s.state).toBe('loaded');
  } finally {
    await s.unload();
  }
});
