/**
 * A missing or corrupt model file is a clear error naming the file and the command that fixes it
 * (VLR_MODEL_MISSING / VLR_MODEL_CORRUPT, 503), never a crash inside onnxruntime; a file with no
 * published checksum that onnxruntime cannot parse is VLR_MODEL_CORRUPT too.
 */
import { copyFile, mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Models } from '../../src/models/index.js';
import { parseManifest } from '../../src/models/manifest.js';
import { ModelRegistry } from '../../src/models/registry.js';
import { modelsConfig } from '../helpers/models.js';
import { MODELS } from '../helpers/paths.js';

let dir: string;
const ID = 'efficientnet-lite2-imagenet';
const blank = { data: new Float32Array(3 * 260 * 260), dims: [3, 260, 260] as [number, number, number], original: { width: 260, height: 260 } };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vlr-model-errors-'));
  await mkdir(join(dir, ID));
  for (const f of ['imagenet_classes.json', 'config.json']) await copyFile(join(MODELS, ID, f), join(dir, ID, f));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('missing and corrupt model files', () => {
  it('missing ONNX file → VLR_MODEL_MISSING naming the file and `vlrerank models pull <id>`', async () => {
    const models = await Models.create(modelsConfig({ dir }));
    const ic = await models.imageClassifier();
    const err = await ic.embed([blank]).catch((e) => e);
    expect(err).toMatchObject({ code: 'VLR_MODEL_MISSING', status: 503 });
    expect(err.message).toContain(join(dir, ID, 'image.onnx'));
    expect(err.message).toContain(`vlrerank models pull ${ID}`);
    expect(ic.session.state).toBe('error');
    await models.close();
  });

  it('truncated file → VLR_MODEL_CORRUPT (size mismatch), same bytes count but other content → sha256 mismatch', async () => {
    await copyFile(join(MODELS, ID, 'image.onnx'), join(dir, ID, 'image.onnx'));
    await truncate(join(dir, ID, 'image.onnx'), 1_000_000);
    let models = await Models.create(modelsConfig({ dir }));
    let err = await (await models.imageClassifier()).embed([blank]).catch((e) => e);
    expect(err).toMatchObject({ code: 'VLR_MODEL_CORRUPT', status: 503 });
    expect(err.message).toMatch(/image\.onnx is corrupt \(size 1000000 bytes, expected 24370219\); run: vlrerank models pull efficientnet-lite2-imagenet/);
    await models.close();

    await writeFile(join(dir, ID, 'image.onnx'), Buffer.alloc(24370219, 1));
    models = await Models.create(modelsConfig({ dir }));
    err = await (await models.imageClassifier()).embed([blank]).catch((e) => e);
    expect(err).toMatchObject({ code: 'VLR_MODEL_CORRUPT' });
    expect(err.message).toMatch(/sha256 [0-9a-f]{64}, expected ea057da4/);
    expect(err.toJSON().error.type).toBe('model_corrupt_exception');
    await models.close();
  });

  it('a file without a published checksum that onnxruntime cannot parse → VLR_MODEL_CORRUPT', async () => {
    const m = parseManifest(
      JSON.stringify({
        id: 'unchecked', revision: 'x', task: 'image-encoder', license: 'none',
        files: [{ path: 'model.onnx', role: 'onnx:model', sha256: 'unknown', size: 'unknown' }],
        io: { model: { inputs: ['pixel_values'], outputs: ['embedding', 'logits'] } },
        image: { width: 260, height: 260, resize: 'stretch', interpolation: 'bilinear', channelOrder: 'rgb', rescale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
      }),
      'unchecked.json',
    );
    await mkdir(join(dir, 'unchecked'));
    await writeFile(join(dir, 'unchecked', 'model.onnx'), 'this is not an onnx graph');
    const reg = await ModelRegistry.create({ dir, manifests: new Map([[m.id, m]]) });
    expect((await reg.verify('unchecked'))[0]!.status).toBe('unverifiable');
    const err = await reg.session('unchecked').load().catch((e) => e);
    expect(err).toMatchObject({ code: 'VLR_MODEL_CORRUPT' });
    expect(err.message).toContain('vlrerank models pull unchecked');
  });

  it('an unknown model id → VLR_MODEL_NOT_FOUND listing the known ids', async () => {
    const models = await Models.create(modelsConfig({ dir }));
    await expect(models.textEmbedder('no-such-model')).rejects.toMatchObject({ code: 'VLR_MODEL_NOT_FOUND', message: expect.stringContaining('bge-small-en-v1.5') });
  });
});
