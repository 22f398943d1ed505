/**
 * cold-cpu.ts's `--off-thread` variant: a worker thread that does what image.ts does for one photo
 * (decode, then each image model's resize and CHW conversion) and writes the tensors into the
 * shared buffers it is handed, as the product's input pool would give them.
 */
import { parentPort } from 'node:worker_threads';
import { decodeImage, preprocessImage } from '../../src/features/media/image.js';
import type { ImagePreprocess } from '../../src/models/preprocess.js';

type Job = { id: number; bytes: Uint8Array; specs: ImagePreprocess[]; into: Float32Array[] };

parentPort!.on('message', (m: Job) => {
  void (async () => {
    const img = await decodeImage(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
    await Promise.all(m.specs.map((s, k) => preprocessImage(img, s, undefined, () => m.into[k]!)));
    parentPort!.postMessage(m.id);
  })();
});
