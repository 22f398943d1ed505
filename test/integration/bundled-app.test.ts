/**
 * An app that bundles its code with esbuild (held-out probe round 23c). Bundled with vlrerank
 * inside, the bundle has no models/ folder nor image-worker file beside it: the first call failed
 * "model manifest folder …/models cannot be read" with no word of why, and with the folder put beside
 * it every photo scored 0 as the photo's own fault — VLR_MEDIA_UNSUPPORTED "image cannot be decoded
 * (corrupt or truncated): Cannot find module …/prep-thread.js". Now both name vlrerank's side and
 * what to do (keep vlrerank external: esbuild's --packages=external bundle then scores as unbundled).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA, MODELS, REPO_ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'vlr-bundle-'));
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))), VLRERANK_LOG_LEVEL: 'silent' };

const APP = `
import { Reranker } from 'vlrerank';
const r = new Reranker({ modelsDir: ${JSON.stringify(MODELS)}, mediaRoots: [${JSON.stringify(join(DATA, 'coco-captions-mini/images/val2017'))}], cacheDir: ${JSON.stringify(join(root, 'cache'))} });
try {
  const out = await r.process({ query: { text: 'a giraffe in a field' }, documents: [{ text: 'a tall giraffe eating leaves' }, { image: '000000000139.jpg' }] });
  console.log(JSON.stringify({ scores: out.scores, errors: out.errors }));
} catch (e) {
  console.log(JSON.stringify({ thrown: { code: e.code, message: e.message } }));
}
await r.close();
`;

type Outcome = { scores?: number[]; errors?: Array<{ code: string; reason: string }>; thrown?: { code: string; message: string } };

/** Bundle the app into `dir` (vlrerank from this checkout's src/), run it, read its one line. */
async function bundleAndRun(dir: string, external: string[]): Promise<Outcome> {
  await build({ entryPoints: [join(root, 'app.mjs')], bundle: true, platform: 'node', format: 'esm', outfile: join(dir, 'app.mjs'), alias: { vlrerank: join(REPO_ROOT, 'src/index.ts') }, external, banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" }, logLevel: 'silent' });
  const { stdout } = await run(process.execPath, [join(dir, 'app.mjs')], { cwd: dir, env, timeout: 240_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Outcome;
}

beforeAll(() => {
  writeFileSync(join(root, 'app.mjs'), APP);
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  // the app's dependencies as npm installs them (this checkout's); vlrerank itself is bundled from src/
  mkdirSync(join(root, 'node_modules'));
  for (const dep of readdirSync(join(REPO_ROOT, 'node_modules'))) if (dep !== '.bin' && dep !== 'vlrerank') symlinkSync(join(REPO_ROOT, 'node_modules', dep), join(root, 'node_modules', dep));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('an app bundled with esbuild, vlrerank inside the bundle', { timeout: 300_000 }, () => {
  const natives = ['onnxruntime-node', 'sharp', 'lmdb', 'ioredis'];

  it('the missing models/ folder says to keep vlrerank external', async () => {
    const out = await bundleAndRun(join(root, 'bare'), natives);
    expect(out.thrown?.code).toBe('VLR_CONFIG_INVALID');
    expect(out.thrown?.message).toMatch(/keep vlrerank external/);
  });

  it("with models/ beside it, the missing image worker is vlrerank's fault, not the photo's", async () => {
    const dir = join(root, 'with-models');
    mkdirSync(dir);
    // what a user does after the first error: the package's models/ folder beside the bundle
    symlinkSync(join(REPO_ROOT, 'models'), join(dir, 'models'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const out = await bundleAndRun(dir, natives);
    expect(out.errors?.map((e) => e.code)).toEqual(['VLR_CONFIG_INVALID']);
    expect(out.errors?.[0]?.reason).toMatch(/image worker could not start.*keep vlrerank external/);
  });
});
