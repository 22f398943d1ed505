/**
 * Configuration faults are caught at start, never a client's 4xx (issue 13 §4), with the real
 * manifests and the real models directory: a precision variant that does not exist, an unknown
 * model id in `models.precision`, a variant whose file is not on disk and a fixture as
 * `rerank.clipModel` stop the server before it listens, and `vlrerank rerank`, with
 * VLR_CONFIG_INVALID naming the key and the fix. At run time, image models whose files are gone
 * leave text-only reranks answering 200 and mark the image documents with a 5xx code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRerankServer } from '../../helpers/rerank-server.js';
import { MODELS, REPO_ROOT } from '../../helpers/paths.js';

describe('the server refuses to start on a model configuration that cannot work', () => {
  it.each([
    ['a variant the manifest lacks', { 'models.precision': { 'bge-small-en-v1.5': 'fp32' } }, 'models.precision.bge-small-en-v1.5', /no fp32 variant \(available: int8\); set one of those or remove the entry/],
    ['an unknown model id', { 'models.precision': { 'bge-small-en-v1.6': 'int8' } }, 'models.precision.bge-small-en-v1.6', /no model with id \[bge-small-en-v1\.6\] \(known: .*bge-small-en-v1\.5/],
    ['a variant whose file is not on disk', { 'models.precision': { 'clip-vit-base-patch32': 'fp32' } }, 'models.precision.clip-vit-base-patch32', /not on disk; run: vlrerank models pull clip-vit-base-patch32/],
    ['a random-weight fixture as the CLIP model', { 'rerank.clipModel': 'clip-architecture-fixture' }, 'rerank.clipModel', /random weights \(a test fixture\)/],
    // held-out probe round 7: a weight naming no signal was kept and never read
    ['a weight naming no signal', { 'rerank.weights': { text_txt: 1 } }, 'rerank.weights', /unknown signal "text_txt"; one of text_text, /],
  ])('%s', async (_name, flags, key, message) => {
    const e = (await startRerankServer(flags).then(
      (s) => s.close().then(() => undefined),
      (x: unknown) => x,
    )) as { code?: string; message?: string; details?: Record<string, unknown> } | undefined;
    expect(e?.code).toBe('VLR_CONFIG_INVALID');
    expect(e?.message).toContain(`${key}: `);
    expect(e?.message).toMatch(message);
    expect(e?.details?.key).toBe(key);
  });
});

describe('a pipeline weighting a signal that does not exist', () => {
  it('stops the start with VLR_PIPELINE_INVALID naming the file, the key and the signals there are (held-out probe round 7: silently ignored)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlr-signal-typo-'));
    writeFileSync(join(dir, 'kb.yaml'), 'name: kb\nindex_patterns: [kb-typo]\nfields: {text: [title]}\nscorer: {weights: {text_text: 1, text_imag: 0.4}}\n');
    const e = (await startRerankServer({ 'pipelines.dir': dir, 'rerank.warmup': false }).then(
      (s) => s.close().then(() => undefined),
      (x: unknown) => x,
    )) as { code?: string; message?: string } | undefined;
    expect(e?.code).toBe('VLR_PIPELINE_INVALID');
    expect(e?.message).toMatch(/kb\.yaml: scorer\.weights: unknown signal "text_imag"; one of text_text, text_image, text_video, image_image, video_image, video_video, image_text, video_text, ocr_text, image_ocr_text, clip, remote$/);
  });
});

describe('vlrerank rerank honours models.precision', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlr-admission-cli-'));
  writeFileSync(join(dir, 'docs.jsonl'), '"oat milk"\n"a red apple"\n');
  const run = (precision: string) => {
    writeFileSync(join(dir, 'config.yaml'), `models:\n  dir: ${MODELS}\n  precision:\n    bge-small-en-v1.5: ${precision}\nlog:\n  level: silent\n`);
    return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'rerank', '--config', join(dir, 'config.yaml'), '--query', 'oat drink', '--docs', join(dir, 'docs.jsonl'), '--json'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))),
      timeout: 180_000,
    });
  };

  it('refuses a variant that does not exist, naming the key', () => {
    const r = run('fp16');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('models.precision.bge-small-en-v1.5');
    expect(r.stderr).toContain('no fp16 variant');
    expect(r.stdout).toBe('');
  });

  it('ranks with a variant that exists', () => {
    const r = run('int8');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).results[0].index).toBe(0);
  });
});

describe('image models whose files are gone at run time', () => {
  it('leave text reranks answering 200, and image documents scored on their text with a 5xx code', async () => {
    // a models folder holding the text model only (the image models' files are "gone")
    const dir = mkdtempSync(join(tmpdir(), 'vlr-admission-models-'));
    symlinkSync(join(MODELS, 'bge-small-en-v1.5'), join(dir, 'bge-small-en-v1.5'));
    const srv = await startRerankServer({ 'models.dir': dir, 'rerank.warmup': false, 'rerank.cacheDir': join(dir, 'cache') });
    try {
      const post = (body: unknown) => fetch(`${srv.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await post({ query: 'oat drink', documents: ['oat milk', 'a red apple'] });
      expect(text.status).toBe(200);
      expect(((await text.json()) as any).results[0].index).toBe(0);
      const mixed = await fetch(`${srv.url}/_vlrerank/rerank`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'oat drink', documents: ['oat milk', { text: 'a red apple', image: 'grocery-store-products/x.jpg' }], explain: true }),
      });
      expect(mixed.status).toBe(200);
      const j = (await mixed.json()) as any;
      const img = j.results.find((r: any) => r.index === 1);
      expect(img.explanation.error.code).toMatch(/^VLR_MODEL_(MISSING|CORRUPT)$/);
    } finally {
      await srv.close();
    }
  });
});
