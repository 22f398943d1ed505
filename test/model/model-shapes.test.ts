/**
 * Every model in ../shared/models loads through the registry (sha256 verified) and reports the
 * documented input/output names; the Models facade lists state, provider and memory.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS } from '../helpers/paths.js';
import { ort } from '../../src/models/session.js';
import type { Models } from '../../src/models/index.js';
import { sharedModels } from '../helpers/models.js';

let models: Models;
beforeAll(async () => {
  models = await sharedModels();
});
afterAll(() => models.close());

const SHARED = ['efficientnet-lite2-imagenet', 'nanodet-g-coco', 'bge-small-en-v1.5', 'ppocr-v4-ch', 'clip-architecture-fixture'];

describe('shared models load with their documented I/O', () => {
  it('every shared model has a manifest whose required files verify by sha256', async () => {
    for (const id of SHARED) {
      const checks = await models.registry.verify(id);
      expect(checks.length).toBeGreaterThan(0);
      for (const c of checks) expect(c.status, `${id} ${c.file.path}: ${c.detail}`).toBe('ok');
    }
  });

  for (const id of SHARED) {
    it(`${id}: sessions load on the CPU provider with the manifest's input/output names`, async () => {
      const info = await models.load(id);
      expect(info.state).toBe('loaded');
      expect(info.provider).toBe('cpu');
      const m = models.registry.manifest(id);
      for (const [role, io] of Object.entries(m.io)) {
        const s = models.registry.session(id, role);
        expect([...s.inputNames]).toEqual(io.inputs);
        expect([...s.outputNames]).toEqual(io.outputs);
      }
    });
  }

  it('ppocr-v4-ch recogniser gives [1, T, 6625] for a 48-px line', async () => {
    const rec = models.registry.session('ppocr-v4-ch', 'rec');
    const out = await rec.run({ x: new ort.Tensor('float32', new Float32Array(3 * 48 * 320), [1, 3, 48, 320]) });
    const t = out['softmax_11.tmp_0']!;
    expect(t.dims[0]).toBe(1);
    expect(t.dims[2]).toBe(6625);
  });

  it('precision variants are chosen per model where files exist, refused clearly otherwise', async () => {
    const int8 = await models.textEmbedder('bge-small-en-v1.5', { precision: 'int8' });
    expect(int8.session.options.name).toBe('bge-small-en-v1.5/model/int8');
    await expect(models.textEmbedder('bge-small-en-v1.5', { precision: 'fp32' })).rejects.toMatchObject({
      code: 'VLR_MODEL_VARIANT_MISSING',
      status: 503,
      message: 'model bge-small-en-v1.5 has no fp32 file for model (available: int8); fix models.precision.bge-small-en-v1.5',
    });
  });

  it('config.models.precision picks the variant per model id', async () => {
    const { Models } = await import('../../src/models/index.js');
    const { modelsConfig } = await import('../helpers/models.js');
    const m = await Models.create(modelsConfig({ precision: { 'bge-small-en-v1.5': 'fp32' } }));
    await expect(m.textEmbedder()).rejects.toMatchObject({ code: 'VLR_MODEL_VARIANT_MISSING', status: 503, message: expect.stringContaining('no fp32 file') });
    await m.close();
  });

  it('list() reports state, provider, device and memory of loaded models', () => {
    const list = models.list();
    expect(list.map((m) => m.id)).toEqual(expect.arrayContaining(SHARED));
    const eff = list.find((m) => m.id === 'efficientnet-lite2-imagenet')!;
    expect(eff).toMatchObject({ state: 'loaded', provider: 'cpu', device: 'auto', task: 'image-encoder', forRanking: true });
    // measured from the loaded sessions' weights, not an RSS delta (issue 13 §4): one copy per inference worker holding it (perf19)
    expect(eff.sessions[0]!.state).toBe('loaded');
    const copies = models.registry.session('efficientnet-lite2-imagenet').parallelRuns;
    expect(copies).toBeGreaterThanOrEqual(1);
    expect(eff.memoryBytes).toBe(copies * statSync(join(MODELS, 'efficientnet-lite2-imagenet', 'image.onnx')).size);
    expect(list.find((m) => m.id === 'clip-architecture-fixture')!.forRanking).toBe(false);
    expect(list.find((m) => m.id === 'clip-vit-base-patch32')!.state).toBe('unloaded');
  });
});

describe('execution providers', () => {
  it('device cpu uses the CPU provider; device cuda without CUDA binaries is a clear error, not a crash', async () => {
    const { Models } = await import('../../src/models/index.js');
    const { modelsConfig } = await import('../helpers/models.js');
    const cpu = await Models.create(modelsConfig({ device: 'cpu' }));
    const info = await cpu.load('nanodet-g-coco');
    expect(info).toMatchObject({ provider: 'cpu', device: 'cpu', state: 'loaded' });
    await cpu.close();
    const { cudaProviderInstalled } = await import('../../src/models/session.js');
    if (cudaProviderInstalled()) return; // a CUDA machine: nothing to refuse
    const cuda = await Models.create(modelsConfig({ device: 'cuda' }));
    const err = await cuda.load('nanodet-g-coco').catch((e) => e);
    expect(err).toMatchObject({ code: 'VLR_MODEL_RUNTIME', message: expect.stringMatching(/CUDA execution provider is not available.*use device auto or cpu/) });
    expect(cuda.list().find((m) => m.id === 'nanodet-g-coco')!.state).toBe('error');
    await cuda.close();
  });
});
