/**
 * The URL source of `models pull` against a real HTTP server on 127.0.0.1 laid out like the
 * Hugging Face Hub (`<repo>/resolve/main/<path>`, Range supported): files arrive sha256-checked;
 * a connection cut mid-file (MockConnectionCutAfterBytes) leaves a .part that the next pull
 * resumes with a Range request; a 404 and a wrong file end in VLR_DOWNLOAD naming the file.
 */
import { createReadStream, statSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/models/manifest.js';
import { pullModel } from '../../src/models/pull.js';
import { ModelRegistry } from '../../src/models/registry.js';
import { MODELS } from '../helpers/paths.js';

let server: Server;
let base = '';
const ranges: string[] = [];
/** When set, the next full-file response is cut after this many bytes (the fault a flaky network produces). */
let cutAfterBytes: number | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    const m = /^\/hub\/(.+)\/resolve\/main\/(.+)$/.exec(req.url ?? '');
    const path = m ? join(MODELS, m[1]!, m[2]!) : '';
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    if (range) {
      ranges.push(req.headers.range!);
      const start = Number(range[1]);
      if (start >= size) return void res.writeHead(416).end();
      res.writeHead(206, { 'content-length': size - start, 'content-range': `bytes ${start}-${size - 1}/${size}` });
      createReadStream(path, { start }).pipe(res);
      return;
    }
    res.writeHead(200, { 'content-length': size });
    if (cutAfterBytes !== undefined && size > cutAfterBytes) {
      const n = cutAfterBytes;
      cutAfterBytes = undefined;
      createReadStream(path, { start: 0, end: n - 1 }).on('end', () => res.destroy()).pipe(res, { end: false });
      return;
    }
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}/hub`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function manifest(files: { path: string; repoPath: string; sha256: string; size: number }[]) {
  return parseManifest(
    JSON.stringify({
      id: 'hub-layout', revision: 'main', task: 'image-encoder', license: 'test',
      files: files.map((f, i) => ({ path: f.path, role: i === 0 ? 'onnx:model' : 'classes', sha256: f.sha256, size: f.size, sources: { urls: [`${base}/${f.repoPath}`] } })),
      io: { model: { inputs: ['pixel_values'], outputs: ['embedding', 'logits'] } },
      image: { width: 260, height: 260, resize: 'stretch', interpolation: 'bilinear', channelOrder: 'rgb', rescale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
    }),
    'hub-layout.json',
  );
}

const ONNX = { path: 'onnx/model.onnx', repoPath: 'efficientnet-lite2-imagenet/resolve/main/image.onnx', sha256: 'ea057da4af864a632eac22a2512ce722c98c43dcce0b12289c000ad2bf18edb1', size: 24370219 };
const CLASSES = { path: 'classes.json', repoPath: 'efficientnet-lite2-imagenet/resolve/main/imagenet_classes.json', sha256: 'e677243bd95c6b933f48d6e0b54abfba84152810eb33757ad82d7288f6084c12', size: 24247 };

describe('models pull from URLs (Hub layout)', () => {
  it('downloads, resumes after a cut connection with Range, and verifies sha256', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vlr-hub-'));
    try {
      const m = manifest([ONNX, CLASSES]);
      const reg = await ModelRegistry.create({ dir, manifests: new Map([[m.id, m]]) });
      cutAfterBytes = 5_000_000;
      await expect(pullModel(reg, m.id)).rejects.toMatchObject({ code: 'VLR_DOWNLOAD', message: expect.stringContaining('onnx/model.onnx') });
      const partial = (await stat(join(dir, 'hub-layout/onnx/model.onnx.part'))).size;
      expect(partial).toBeGreaterThan(1_000_000);
      expect(partial).toBeLessThanOrEqual(5_000_000);
      const res = await pullModel(reg, m.id);
      expect(ranges).toContain(`bytes=${partial}-`);
      expect(res.map((r) => [r.file.path, r.source, r.check.status])).toEqual([
        ['classes.json', 'present', 'ok'],
        ['onnx/model.onnx', 'url', 'ok'],
      ]);
      expect((await reg.verify(m.id)).every((c) => c.status === 'ok')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a 404 or a file that fails its sha256 is VLR_DOWNLOAD naming the file and what each source said', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vlr-hub-'));
    try {
      const m404 = manifest([{ ...ONNX, repoPath: 'nope/resolve/main/model.onnx' }]);
      let reg = await ModelRegistry.create({ dir, manifests: new Map([[m404.id, m404]]) });
      await expect(pullModel(reg, m404.id)).rejects.toMatchObject({ code: 'VLR_DOWNLOAD', message: expect.stringMatching(/onnx\/model\.onnx.*HTTP 404/) });
      const wrong = manifest([{ ...CLASSES, path: 'onnx/model.onnx', sha256: ONNX.sha256, size: 24247 }]);
      reg = await ModelRegistry.create({ dir, manifests: new Map([[wrong.id, wrong]]) });
      await expect(pullModel(reg, wrong.id)).rejects.toMatchObject({ message: expect.stringMatching(/sha256 e677243b.*expected ea057da4/) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
