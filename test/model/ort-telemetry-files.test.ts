/**
 * A process that loads a model leaves nothing behind in the OS tmp dir or the home folder (held-out
 * probe round 13d): onnxruntime-node 1.30's telemetry, on unless ORT_DISABLE_TELEMETRY is set, left
 * an empty `mat-debug-<pid>.log` and a `.ses` in TMPDIR per process (5,233 in this machine's /tmp)
 * and an event database under ~/.cache/Microsoft. Each case runs a real model once through
 * ModelSession (the inference worker and the main-thread path) in a child process with a fresh
 * TMPDIR and HOME, then counts what is there after it exits: nothing (but tsx's own cache).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS, REPO_ROOT } from '../helpers/paths.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const script = `
const { ModelSession, ort } = await import('./src/models/session.ts');
const s = new ModelSession(process.argv[1], { name: 'nanodet', modelId: 'nanodet-g-coco', intraOpThreads: 1, thread: process.argv[2] });
await s.load();
const input = new ort.Tensor('float32', new Float32Array(3 * 416 * 416), [1, 3, 416, 416]);
await s.run({ [s.inputNames[0]]: input });
await s.unload();
console.log('ran');
`;

function walk(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [`${e.name}/`, ...walk(join(d, e.name)).map((x) => `${e.name}/${x}`)] : [e.name]));
}

describe('onnxruntime leaves no files behind', () => {
  for (const thread of ['worker', 'main'] as const) {
    it(`a model run on the ${thread} thread: TMPDIR and HOME stay empty`, async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'ort-tmp-'));
      const home = mkdtempSync(join(tmpdir(), 'ort-home-'));
      made.push(tmp, home);
      const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, HOME: home };
      delete env.ORT_DISABLE_TELEMETRY;
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, join(MODELS, 'nanodet-g-coco/model.onnx'), thread], { cwd: REPO_ROOT, env, timeout: 120_000 });
      expect(stdout).toContain('ran');
      // tsx (the child's loader, not vlrerank) keeps its compile cache there
      expect(walk(tmp).filter((f) => !f.startsWith('tsx-'))).toEqual([]);
      expect(walk(home)).toEqual([]);
    }, 150_000);
  }
});
