/**
 * Only the text model installed (`vlrerank models pull bge-small-en-v1.5` and nothing else): the
 * CLI and the library still rank texts, as the server does, and each image document says which
 * model is missing and how to pull it. Before, `vlrerank rerank` on two texts exited 2 with
 * "efficientnet-lite2-imagenet … is missing" and `new Reranker({modelsDir}).process()` threw the
 * same: the image models were set up before any document was looked at.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Reranker } from '../../src/index.js';
import { DATA, MODELS, REPO_ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vlr-text-only-'));
const models = join(dir, 'models');
const photo = join(DATA, 'skimage-clip-smoke', 'images', 'coffee.png');
// a models folder holding the text model alone
mkdirSync(models);
symlinkSync(join(MODELS, 'bge-small-en-v1.5'), join(models, 'bge-small-en-v1.5'));
writeFileSync(join(dir, 'd.jsonl'), `${JSON.stringify({ text: 'cars drive on the road' })}\n${JSON.stringify({ text: 'a ripe yellow banana' })}\n${JSON.stringify({ image: photo })}\n`);

describe('only the text model installed', { timeout: 300_000 }, () => {
  it('the CLI ranks the texts and names the missing image model for the photo', async () => {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'rerank', '-q', 'banana', '-d', join(dir, 'd.jsonl'), '--jsonl', '--models-dir', models, '--log-level', 'silent'], {
      cwd: REPO_ROOT,
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))),
      timeout: 240_000,
    }).catch((e: { code: number; stderr: string; stdout: string }) => {
      throw new Error(`exit ${e.code}: ${e.stderr}`);
    });
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { index: number; score: number; error?: { code: string; reason: string } });
    expect(lines.map((l) => l.index).slice(0, 2)).toEqual([1, 0]);
    expect(lines[0]!.score).toBeGreaterThan(lines[1]!.score);
    const img = lines.find((l) => l.index === 2)!;
    expect(img.error?.code).toBe('VLR_MODEL_MISSING');
    expect(img.error?.reason).toContain('vlrerank models pull efficientnet-lite2-imagenet');
    expect(stderr).toContain('1 of 3 documents scored without their media');
  });

  const reranker = new Reranker({ modelsDir: models, mediaRoots: [DATA] });
  afterAll(() => reranker.close());

  it('process() ranks the texts and reports the photo as an error naming the model', async () => {
    const out = await reranker.process({ query: 'banana', documents: ['cars drive on the road', 'a ripe yellow banana', { image: photo }] });
    expect(out[0]!.index).toBe(1);
    expect(out.errors.map((e) => [e.index, e.code])).toEqual([[2, 'VLR_MODEL_MISSING']]);
    expect(out.errors[0]!.reason).toContain('efficientnet-lite2-imagenet');
  });
});
